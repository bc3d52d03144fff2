/* global oidc, document, location, history, fetch, sessionStorage */
// A single-page app as people write them with oidc-client-ts: authorization code + PKCE from the
// browser, tokens kept in sessionStorage, userinfo called with the access token, RP-initiated
// logout. It runs as is in the browser (no bundler): oidc-client-ts's browser build defines `oidc`.
const { authority, clientId } = document.body.dataset;
const manager = new oidc.UserManager({
  authority,
  client_id: clientId,
  redirect_uri: `${location.origin}/callback`,
  post_logout_redirect_uri: `${location.origin}/signed-out`,
  response_type: 'code',
  scope: 'openid profile email',
  loadUserInfo: false,
  userStore: new oidc.WebStorageStateStore({ store: sessionStorage }),
});

const show = (id, text) => {
  document.getElementById(id).textContent = text;
};

async function showUser(user) {
  const { userinfo_endpoint: userinfoEndpoint } = await manager.metadataService.getMetadata();
  const answer = await fetch(userinfoEndpoint, { headers: { authorization: `Bearer ${user.access_token}` } });
  if (!answer.ok) throw new Error(`userinfo answered ${answer.status}`);
  const userinfo = await answer.json();
  show('email', userinfo.email);
  show('sub', user.profile.sub);
  show('status', 'signed in');
}

async function start() {
  if (location.pathname === '/callback') {
    const user = await manager.signinRedirectCallback();
    history.replaceState(null, '', '/');
    await showUser(user);
  } else if (location.pathname === '/signed-out') {
    await manager.signoutRedirectCallback();
    show('status', (await manager.getUser()) ? 'still signed in' : 'signed out');
  } else {
    const user = await manager.getUser();
    if (user) await showUser(user);
    else show('status', 'signed out');
  }
}

document.getElementById('sign-in').addEventListener('click', () => {
  manager.signinRedirect().catch((error) => show('error', error.message));
});
document.getElementById('sign-out').addEventListener('click', () => {
  // with state, the app can tell its own logout's return from a stray visit
  manager.signoutRedirect({ state: { returnTo: '/' } }).catch((error) => show('error', error.message));
});
start().catch((error) => {
  show('status', 'failed');
  show('error', error.message);
});
