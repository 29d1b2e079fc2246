// The staff web app: sign in, then a page per job, chosen by role.
import { api, ApiError, contactsForm, errText, h, loadMessages, setCSRF, t, toast, translate } from './lib.js';

// Pages: hash route → module, and the roles whose menu shows it.
const pages = [
  { id: 'intake', roles: ['operator', 'dispatcher'], load: () => import('./intake.js') },
  { id: 'centre', roles: ['dispatcher', 'operator', 'admin', 'leader'], load: () => import('./centre.js') },
  { id: 'phone', roles: ['grid_worker'], load: () => import('./phone.js') },
  { id: 'desk', roles: ['handler'], load: () => import('./desk.js') },
  { id: 'dashboard', roles: ['leader', 'dispatcher', 'admin', 'operator'], load: () => import('./dashboard.js') },
  { id: 'keyissues', roles: ['leader', 'dispatcher', 'operator', 'admin'], load: () => import('./keyissues.js') },
  { id: 'admin', roles: ['admin', 'dispatcher'], load: () => import('./admin.js') },
  { id: 'knowledge', roles: ['operator', 'dispatcher', 'admin', 'leader', 'handler'], load: () => import('./knowledge.js') }, // a reference, after each role's own page (the first a role may open is where it lands)
  { id: 'inbox', roles: ['dispatcher', 'operator', 'admin', 'leader', 'grid_worker', 'handler'], load: () => import('./inbox.js'), bell: true },
];

let me = null;

async function start() {
  await loadMessages();
  try {
    me = await api('GET', '/api/v1/me');
    setCSRF(me.csrf_token);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    return loginForm();
  }
  shell();
  window.addEventListener('hashchange', route);
  route();
}

function loginForm() {
  const main = document.getElementById('main');
  const msg = h('p.err', { role: 'alert' });
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, id: 'username' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, id: 'password' });
  const form = h('form.panel', { style: 'max-width:22rem;margin:2rem auto', onsubmit: async e => {
    e.preventDefault();
    try {
      const r = await api('POST', '/api/v1/session', { username: user.value.trim(), password: pass.value });
      setCSRF(r.csrf_token);
      location.reload();
    } catch (err) { msg.textContent = errText(err); }
  } },
  h('h1', null, t('login.title')), msg,
  h('label', null, h('span', null, t('login.username')), user),
  h('label', null, h('span', null, t('login.password')), pass),
  h('button.primary', { type: 'submit' }, t('login.submit')),
  h('p.muted', null, t('login.demo')));
  main.replaceChildren(form);
  user.focus();
}

function shell() {
  const nav = document.getElementById('nav');
  for (const p of pages) if (p.roles.includes(me.role) && !p.bell) nav.append(h('a', { href: `#/${p.id}`, 'data-page': p.id }, t(`nav.${p.id}`)));
  nav.append(h('a', { href: '/board' }, t('nav.board')));
  document.getElementById('who').textContent = `${me.name || me.username} · ${t(`role.${me.role}`)}`;
  // The bell: the unread lines of the inbox, looked at every minute and
  // whenever a page marks lines read. It asks for counts only
  // (GET /api/v1/inbox/counts), never for the lines themselves.
  const bell = document.getElementById('bell');
  bell.hidden = false;
  bell.onclick = () => { location.hash = '#/inbox'; };
  document.addEventListener('xiuhua:inbox', refreshBell);
  refreshBell();
  setInterval(refreshBell, 60000);
  const out = document.getElementById('logout');
  out.before(h('button.link', { type: 'button', id: 'my-contacts', onclick: myContacts }, t('contacts.mine')), ' ',
    h('button.link', { type: 'button', id: 'change-password', onclick: passwordForm }, t('app.password')));
  out.hidden = false;
  out.onclick = async () => { await api('DELETE', '/api/v1/session').catch(() => {}); setCSRF(''); location.href = '/app'; };
}

// lastUnread is the bell's count at its last look: when it rises while
// the page is in the background, the browser says so (a desktop
// notification), if the person allowed it on the inbox page.
let lastUnread = null;

async function refreshBell() {
  const bell = document.getElementById('bell'), n = document.getElementById('bell-n');
  try {
    const r = await api('GET', '/api/v1/inbox/counts');
    if (lastUnread !== null && r.unread > lastUnread && document.hidden && 'Notification' in window && Notification.permission === 'granted') {
      const note = new Notification(t('bell.notify.title'), { body: t('bell.notify.body', { n: r.unread - lastUnread }), tag: 'xiuhua-inbox' });
      note.onclick = () => { window.focus(); location.hash = '#/inbox'; note.close(); };
    }
    lastUnread = r.unread;
    n.textContent = r.unread > 99 ? '99+' : String(r.unread);
    n.hidden = r.unread === 0;
    bell.setAttribute('aria-label', t('bell.label', { n: r.unread }));
    bell.title = bell.getAttribute('aria-label');
  } catch { /* the next look tries again */ }
}

// passwordForm changes one's own password; the other sessions and the
// API tokens of the account end, this one stays.
function passwordForm() {
  const msg = h('p.err', { role: 'alert' });
  const field = id => h('input', { type: 'password', id, autocomplete: id === 'current-password' ? 'current-password' : 'new-password', required: true });
  const cur = field('current-password'), next = field('new-password'), again = field('new-password-again');
  next.minLength = again.minLength = 10;
  const form = h('form.panel', { style: 'max-width:24rem;margin:2rem auto', onsubmit: async e => {
    e.preventDefault();
    if (next.value !== again.value) { msg.textContent = t('password.mismatch'); return; }
    try {
      await api('PUT', '/api/v1/me/password', { current_password: cur.value, new_password: next.value });
      toast(t('password.changed'));
      route();
    } catch (err) { msg.textContent = errText(err); }
  } },
  h('h1', null, t('password.title')), h('p.muted', null, t('password.help')), msg,
  h('label', null, h('span', null, t('password.current')), cur),
  h('label', null, h('span', null, t('password.new')), next),
  h('label', null, h('span', null, t('password.again')), again),
  h('button.primary', { type: 'submit' }, t('submit')));
  for (const a of document.querySelectorAll('#nav a')) a.classList.remove('on');
  document.getElementById('main').replaceChildren(form);
  cur.focus();
}

// myContacts: how the signed-in person is reached besides the inbox
// (我的通知方式): phone, e-mail, language and the channels they choose.
async function myContacts() {
  let c;
  try { c = await api('GET', '/api/v1/me/contacts'); } catch (e) { toast(errText(e)); return; }
  for (const a of document.querySelectorAll('#nav a')) a.classList.remove('on');
  const form = contactsForm(c, '/api/v1/me/contacts', t('contacts.mine'), false, () => route());
  form.style.maxWidth = '36rem';
  form.style.margin = '1rem auto';
  // Who is told what: the rules table, for everyone to read.
  const rules = h('div', { id: 'my-rules' });
  const show = h('button.link', { type: 'button', id: 'show-rules', onclick: async () => {
    show.remove();
    try { rules.replaceChildren(await (await import('./rules.js')).rulesView()); } catch (e) { rules.replaceChildren(h('p.err', null, errText(e))); }
  } }, t('contacts.rules'));
  document.getElementById('main').replaceChildren(form, h('p', { style: 'text-align:center' }, show), rules);
  form.querySelector('input').focus();
}

async function route() {
  const mine = pages.filter(p => p.roles.includes(me.role));
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  // Each role lands on its own work: the operator on the desk, a
  // dispatcher on the centre's lists, a leader on the dashboard, an
  // administrator on the admin pages.
  // Named for every role, so a page added to the list cannot become
  // someone's start by its place in it.
  const home = { operator: 'intake', dispatcher: 'centre', handler: 'desk', grid_worker: 'phone', leader: 'dashboard', admin: 'admin' }[me.role];
  const p = mine.find(x => x.id === id) || mine.find(x => x.id === home) || mine[0];
  if (!p) { document.getElementById('main').replaceChildren(h('p', null, t('app.nopage'))); return; }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('on', a.dataset.page === p.id);
  document.getElementById('bell').classList.toggle('on', p.id === 'inbox');
  // Each visit renders into its own view, so a slow page that finishes
  // after the next one was chosen writes into a detached element.
  const main = document.getElementById('main');
  const view = h('div.view', null, h('p.muted', null, t('app.loading')));
  main.replaceChildren(view);
  main.dataset.page = '';
  try {
    const mod = await p.load();
    await mod.render(view, me);
    translate(view);
    if (view.isConnected) {
      main.dataset.page = p.id;
      performance.mark(`xiuhua:ready:${p.id}`); // the browser benchmarks read it
    }
  } catch (e) {
    view.replaceChildren(h('p.err', { role: 'alert' }, errText(e)));
  }
}

start().catch(e => { document.getElementById('main').replaceChildren(h('p.err', null, String(e))); });
