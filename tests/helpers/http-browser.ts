import { parse, type HTMLElement } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';

export interface PageResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export interface SubmittedForm {
  readonly action: string;
  readonly fields: Record<string, string>;
}

/**
 * A browser without a browser: real HTTP, a real cookie jar (paths, expiry), redirects followed
 * one by one. It stops before any URL that `stopAt` matches (the app's redirect URI), since
 * nothing listens there. Forms are read from the HTML the way a browser would submit them.
 */
export class HttpBrowser {
  readonly jar = new CookieJar();

  /** `headers` go with every request, as a browser's own do (`accept-language`, say). */
  constructor(
    private readonly stopAt: (url: string) => boolean = () => false,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<PageResponse> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie && !headers.cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, url, { ignoreError: true });
    }
    return { url, status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Requests `url` and follows redirects until a page answers or the next URL is `stopAt`'s. */
  async follow(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<PageResponse> {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 20; hops += 1) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      const next = new URL(location, response.url).href;
      if (this.stopAt(next)) return { ...response, url: next };
      response = await this.request(next);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits a form of the page (the first, or the one `selector` finds) with every input it has. */
  async submit(
    page: PageResponse,
    values: Record<string, string>,
    options: { selector?: string; button?: { name: string; value: string } } = {},
  ): Promise<PageResponse> {
    const form = readForm(page, options.selector);
    const fields = { ...form.fields, ...values, ...(options.button ? { [options.button.name]: options.button.value } : {}) };
    return this.follow(form.action, { method: 'POST', form: fields });
  }
}

/** The action and the fields (hidden and filled) of a form, as a browser would send them. */
export function readForm(page: PageResponse, selector = 'form'): SubmittedForm {
  const root = parse(page.body);
  const form = root.querySelector(selector);
  if (!form) throw new Error(`no ${selector} on ${page.url}:\n${page.body.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const input of form.querySelectorAll('input')) {
    const name = input.getAttribute('name');
    if (name) fields[name] = input.getAttribute('value') ?? '';
  }
  const action = new URL(form.getAttribute('action') ?? page.url, page.url).href;
  return { action, fields };
}

export function pageText(page: PageResponse): string {
  return parse(page.body).textContent.replace(/\s+/g, ' ').trim();
}

export function findElement(page: PageResponse, selector: string): HTMLElement | null {
  return parse(page.body).querySelector(selector);
}
