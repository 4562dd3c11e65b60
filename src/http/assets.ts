/** The one stylesheet of the broker's pages, served from /assets so CSP can forbid inline styles. */
export const BROKER_CSS = `:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5}
body{margin:0;padding:2rem;max-width:60rem;margin-inline:auto}
h1{font-size:1.5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #8884}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;border:1px solid currentColor}
.badge.active{color:#1a7f37}.badge.revoked{color:#cf222e}.badge.reauthorization_required{color:#9a6700}
.error{border-left:4px solid #cf222e;padding-left:1rem}
form.inline{display:inline}
button,input,select{font:inherit;padding:.3rem .6rem}
nav a{margin-right:1rem}
header.console{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #8884;margin-bottom:1rem}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin-bottom:1rem}
form.stack{display:flex;flex-direction:column;gap:.5rem;max-width:24rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0}
.notice{border-left:4px solid #1a7f37;padding-left:1rem}
a.button{display:inline-block;padding:.3rem .6rem;border:1px solid currentColor;border-radius:.25rem;text-decoration:none}
.danger{color:#cf222e}
button.danger{border:1px solid #cf222e;background:#cf222e;color:#fff}
`;
