// A tiny OpenID Connect provider for the portal's SSO test, built on the certified
// `oidc-provider` package. It is a real provider (discovery, authorization code flow
// with PKCE, signed ID tokens, userinfo, JWKS); only the sign-in form is ours.
//
// Configuration comes from the environment, as JSON where structured:
//   PORT           port to listen on (127.0.0.1 only); the issuer is http://127.0.0.1:PORT
//   OIDC_CLIENTS   [{"client_id", "client_secret", "redirect_uris": [...]}]
//   OIDC_USERS     [{"sub", "username", "password", "email", "name", "given_name", "family_name"}]
// Prints "listening <issuer>" on stdout once it accepts connections.

import crypto from 'node:crypto';
import http from 'node:http';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.PORT || '', 10);
if (!port) {
  console.error('PORT is required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]').map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  ...client,
}));
const users = JSON.parse(process.env.OIDC_USERS || '[]');

// A fresh signing key per process: nothing secret is stored in the repository.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test-key' };

function claimsOf(user) {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: true,
    name: user.name,
    given_name: user.given_name,
    family_name: user.family_name,
    preferred_username: user.username,
  };
}

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const user = users.find((candidate) => candidate.sub === sub);
    return user && { accountId: sub, claims: async () => claimsOf(user) };
  },
  // A company identity provider does not ask its own employees for consent.
  async loadExistingGrant(ctx) {
    const clientId = ctx.oidc.client.clientId;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Company sign-in</title>
<style>body{font:16px system-ui,sans-serif;background:#1d2733;color:#fff;display:grid;place-items:center;min-height:100vh;margin:0}
form{background:#fff;color:#172b4d;padding:2rem;border-radius:8px;width:20rem}label{display:block;margin-top:1rem}
input{width:100%;padding:.5rem;font:inherit}button{margin-top:1.5rem;width:100%;padding:.6rem;font:inherit;background:#6b3fa0;color:#fff;border:0;border-radius:4px}
.error{color:#ae2a19}</style></head><body>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<h1>Example Corp SSO</h1>${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<label for="username">Username</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form></body></html>`;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10000) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(querystring.parse(body)));
    req.on('error', reject);
  });
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(details.uid));
    return;
  }
  const form = await readBody(req);
  const user = users.find((u) => u.username === form.username && u.password === form.password);
  if (!user) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(details.uid, 'Wrong username or password.'));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      console.error(error);
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`Sign-in failed: ${error.message}`);
    });
    return;
  }
  handle(req, res);
});

provider.on('server_error', (ctx, error) => console.error('server_error', error));
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
