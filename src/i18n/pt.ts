import type { Catalogue } from './index.js';

/**
 * Portuguese, written to read well in Portugal and in Brazil alike (`pt`, `pt-PT`, `pt-BR` all
 * choose it). Typed as a `Catalogue`: every key of English, and no other, or it does not compile.
 */
export const pt: Catalogue = {
  'common.back_to_login': 'Voltar ao início de sessão',
  'common.identifier_label': 'Email ou nome de utilizador',
  'common.error_label': 'Erro:',
  'common.too_many_attempts': 'Demasiadas tentativas. Aguarde alguns minutos e tente novamente.',

  'error.stale.title': 'Esta página está desatualizada',
  'error.stale.message': 'Esta página de início de sessão expirou. Volte à aplicação e comece novamente.',
  'error.session_lost.message':
    'A sua sessão de início expirou ou foi iniciada noutro navegador. Volte à aplicação e comece novamente.',
  'error.form_expired.title': 'Tente novamente',
  'error.form_expired.message': 'O formulário expirou. Volte atrás, recarregue a página e tente novamente.',
  'error.invalid_link.title': 'Este link não funciona',
  'error.invalid_link.message': 'Este link expirou ou já foi usado. Peça um novo.',
  'error.not_found.title': 'Não encontrado',
  'error.not_found.message': 'Não há nada neste endereço.',
  'error.generic.title': 'Algo correu mal',
  'error.generic.message': 'Algo correu mal do nosso lado. Tente novamente daqui a pouco.',
  'error.unusable_characters.message': 'O pedido contém caracteres que não podem ser usados.',
  'error.too_large.message': 'O que foi enviado é demasiado grande.',
  'error.unreadable.message': 'Não foi possível ler o pedido.',
  'error.request_failed.message': 'Não foi possível concluir o pedido.',
  'error.unavailable.title': 'Temporariamente indisponível',
  'error.unavailable.message': 'Não conseguimos responder agora. Tente novamente daqui a pouco.',

  'login.title': 'Entrar',
  'login.continue_to': 'para continuar em',
  'login.password_label': 'Palavra-passe',
  'login.submit': 'Entrar',
  'login.forgot_password': 'Esqueceu-se da palavra-passe?',
  'login.signup': 'Criar uma conta',
  'login.failed': 'O email, o nome de utilizador ou a palavra-passe não estão certos.',
  'login.email_unverified': 'Confirme primeiro o seu endereço de email: abra o link que lhe enviámos.',

  'consent.title': 'Permitir acesso',
  'consent.asks_to': 'pede para:',
  'consent.allow': 'Permitir',
  'consent.deny': 'Recusar',
  'consent.scope.openid': 'Iniciar a sua sessão',
  'consent.scope.profile': 'Ver o seu nome, nome de utilizador e fotografia',
  'consent.scope.email': 'Ver o seu endereço de email',
  'consent.scope.phone': 'Ver o seu número de telefone',
  'consent.scope.address': 'Ver a sua morada',
  'consent.scope.offline_access': 'Manter a sessão iniciada quando não a está a usar',

  'forgot.title': 'Redefinir a palavra-passe',
  'forgot.lead':
    'Indique o endereço de email ou o nome de utilizador da sua conta, e enviamos-lhe por email um link para escolher uma nova palavra-passe.',
  'forgot.submit': 'Enviar o link',
  'forgot.check_email.title': 'Veja o seu email',
  'forgot.check_email.message':
    'Se existir uma conta com este endereço de email ou nome de utilizador, enviámos-lhe um link para escolher uma nova palavra-passe. O link funciona durante uma hora.',
  'identifier.empty': 'Indique o seu endereço de email ou nome de utilizador.',
  'identifier.too_long': 'É demasiado longo: no máximo {max} caracteres.',
  'identifier.unusable_characters': 'Contém caracteres que não podem ser usados.',
  'identifier.invalid': 'Indique o endereço de email ou o nome de utilizador da sua conta.',

  'reset.title': 'Definir a palavra-passe',
  'reset.lead': 'Escolha uma nova palavra-passe.',
  'reset.lead_min_length': 'Escolha uma nova palavra-passe com pelo menos {minLength} caracteres.',
  'reset.password_label': 'Nova palavra-passe',
  'reset.submit': 'Definir a palavra-passe',
  'reset.done.title': 'Palavra-passe definida',
  'reset.done.message': 'A sua palavra-passe está definida. Volte à aplicação e entre com ela.',
  'password.too_short': 'A palavra-passe tem de ter pelo menos {count} caracteres.',
  'password.too_long': 'A palavra-passe pode ter no máximo {count} caracteres.',
  'password.too_long_bytes': 'A palavra-passe pode ter no máximo {count} bytes.',
  'password.invalid': 'A palavra-passe não é válida.',

  'signup.title': 'Criar a sua conta',
  'signup.name_label': 'Nome',
  'signup.email_label': 'Endereço de email',
  'signup.username_label': 'Nome de utilizador',
  'signup.username_hint': '3 a 20 letras, algarismos, “.”, “_” ou “-”.',
  'signup.password_label': 'Palavra-passe',
  'signup.password_hint': 'Pelo menos {minLength} caracteres.',
  'signup.submit': 'Criar conta',
  'signup.have_account': 'Já tenho conta: entrar',
  'signup.username_taken': 'Esse nome de utilizador já está a ser usado. Escolha outro.',
  'signup.name.unusable_characters': 'O nome contém caracteres que não podem ser usados.',
  'signup.email.unusable_characters': 'O endereço de email contém caracteres que não podem ser usados.',
  'signup.username.unusable_characters': 'O nome de utilizador contém caracteres que não podem ser usados.',
  'signup.name.invalid': 'O nome não é válido: use 3 a 100 caracteres.',
  'signup.email.invalid': 'Indique um endereço de email válido.',
  'signup.username.invalid': 'O nome de utilizador tem de ter 3 a 20 letras, algarismos, “.”, “_” ou “-”.',
  'signup.check_email.message':
    'Para terminar de criar a sua conta, abra o link que enviámos para o endereço de email que indicou. O link funciona durante 24 horas.',
  'error.resume_expired.message': 'Esta página expirou. Volte à aplicação e entre.',

  'verify.title': 'Confirmar o endereço de email',
  'verify.lead': 'Confirme que este endereço de email é seu para concluir a verificação.',
  'verify.submit': 'Confirmar o meu endereço de email',
  'verify.done.title': 'Email confirmado',
  'verify.done.message': 'O seu endereço de email está confirmado. Volte à aplicação e entre.',

  'logout.title': 'Terminar sessão',
  'logout.question': 'Quer terminar a sessão?',
  'logout.question_client': 'Quer terminar a sessão em {client}?',
  'logout.submit': 'Terminar sessão',
  'logout.stay': 'Manter a sessão',
  'logout.done.title': 'Sessão terminada',
  'logout.done.message': 'Terminou a sessão. Pode fechar esta janela ou voltar à aplicação.',

  'mail.greeting': 'Olá {name},',
  'mail.hours.one': '{count} hora',
  'mail.hours.other': '{count} horas',
  'mail.reset_password.subject': 'Redefina a sua palavra-passe de {brand}',
  'mail.reset_password.body':
    'Alguém pediu para redefinir a palavra-passe da sua conta {brand}. Para escolher uma nova palavra-passe, abra este link (funciona uma vez, durante {duration}):',
  'mail.reset_password.link': 'Escolher uma nova palavra-passe',
  'mail.reset_password.not_you': 'Se não foi você, ignore este email: a sua palavra-passe fica como está.',
  'mail.set_password.subject': 'Defina a sua palavra-passe de {brand}',
  'mail.set_password.body':
    'Foi criada uma conta para si em {brand}. Para escolher a sua palavra-passe, abra este link (funciona uma vez, durante {duration}):',
  'mail.set_password.link': 'Escolher a minha palavra-passe',
  'mail.password_changed.subject': 'A sua palavra-passe de {brand} foi alterada',
  'mail.password_changed.body':
    'A palavra-passe da sua conta {brand} acabou de ser alterada, e todas as sessões da conta foram terminadas.',
  'mail.password_changed.not_you': 'Se não foi você, redefina já a sua palavra-passe e avise o seu administrador.',
  'mail.verify_email.subject': 'Confirme o seu endereço de email de {brand}',
  'mail.verify_email.body':
    'Para confirmar que este é o endereço de email da sua conta {brand}, abra este link (funciona uma vez, durante {duration}):',
  'mail.verify_email.link': 'Confirmar o meu endereço de email',
  'mail.verify_email.not_you': 'Se não pediu isto, ignore este email: nada muda.',
  'mail.email_changed.subject': 'O endereço de email da sua conta {brand} foi alterado',
  'mail.email_changed.body':
    'O endereço de email da sua conta {brand} acabou de ser alterado deste endereço para outro. Este endereço deixa de receber o correio da conta, e os links enviados para aqui antes deixam de funcionar.',
  'mail.email_changed.not_you': 'Se não fez esta alteração, contacte {contact} imediatamente.',
  'mail.email_changed.contact_tenant': 'um proprietário ou administrador de {brand}',
  'mail.email_changed.contact_environment': 'a equipa que gere {brand}',
  'mail.signup_attempt.subject': 'Alguém tentou criar uma conta em {brand} com o seu endereço de email',
  'mail.signup_attempt.body':
    'Alguém tentou criar uma conta {brand} com este endereço de email. Ele já pertence à sua conta, por isso não foi criada nenhuma conta nova e nada mudou na sua.',
  'mail.signup_attempt.if_you':
    'Se foi você, entre com a sua conta; ou, se se esqueceu da palavra-passe, escolha “Esqueceu-se da palavra-passe?” na página de início de sessão.',
  'mail.signup_attempt.not_you': 'Se não foi você, ignore este email.',
};
