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
`;
