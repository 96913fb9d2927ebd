// Production-style Node code against `provsim serve --tls`: msal-node's client credentials and the
// Graph JavaScript client, no middleware of its own, PageIterator over every page. The only things
// that say "provsim" are the authority and base URL; the CA is trusted through NODE_EXTRA_CA_CERTS.
// Usage: node graph_program.cjs https://localhost:PORT   (prints one JSON line)
const msal = require("@azure/msal-node");
const { Client, PageIterator } = require("@microsoft/microsoft-graph-client");

async function main() {
  const base = process.argv[2];
  const { host, hostname } = new URL(base);
  const app = new msal.ConfidentialClientApplication({
    auth: {
      clientId: "provsim-graph-client",
      clientSecret: "provsim-graph-secret",
      authority: `${base}/contoso.onmicrosoft.com`,
      knownAuthorities: [host],
    },
  });
  const token = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
  const client = Client.init({
    baseUrl: base,
    customHosts: new Set([hostname]),   // the client attaches tokens to Graph and these hosts only (no port)
    authProvider: (done) => done(null, token.accessToken),
  });
  const first = await client.api("/users").top(5).select("userPrincipalName").get();
  const names = [];
  const pages = new PageIterator(client, first, (user) => { names.push(user.userPrincipalName); return true; });
  await pages.iterate();
  const created = await client.api("/users").post({
    accountEnabled: true, displayName: "Node New", mailNickname: "node.new", userPrincipalName: "node.new@contoso.com",
    passwordProfile: { password: "Secret-123!", forceChangePasswordNextSignIn: true },
  });
  console.log(JSON.stringify({ tokenType: token.tokenType, firstNextLink: first["@odata.nextLink"] || null,
                               users: names, created: created.id }));
}

main().catch((err) => {
  console.log(JSON.stringify({ error: String(err && (err.stack || err.message || err)), code: err && err.code }));
  process.exit(1);
});
