/**
 * The one stylesheet of every page the broker serves (connect pages and the console), served
 * from `/assets/broker.css` so the CSP can forbid inline styles. System fonts only, no
 * external assets; light and dark follow the user's setting; contrast meets WCAG AA.
 */
export const BROKER_CSS = `:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--text:#1b1f24;--muted:#57606a;--line:#d8dee4;--accent:#0b5cd6;--accent-text:#fff;--accent-hover:#0a4fb8;--danger:#b42318;--ok:#1a7f37;--warn:#8a5300;--focus:#0b5cd6;--radius:14px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.5;-webkit-text-size-adjust:100%}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9da7b3;--line:#30363d;--accent:#4493f8;--accent-text:#0d1117;--accent-hover:#6cb0ff;--danger:#ff7b72;--ok:#3fb950;--warn:#d29922;--focus:#6cb0ff}}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--text);font-size:1rem}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 .5rem}
h2{font-size:1rem;margin:1.25rem 0 .5rem}
p{margin:.5rem 0}
.shell{min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:2rem 1rem}
.card{width:100%;max-width:28rem;background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:2rem;box-shadow:0 1px 2px #0000000d,0 8px 24px #0000000f}
.brand-pair{display:flex;align-items:center;gap:.75rem;margin-bottom:1.25rem}
.mark{display:inline-flex;align-items:center;justify-content:center;width:3rem;height:3rem;border-radius:12px;background:var(--accent);color:var(--accent-text);font-weight:700;font-size:1.25rem;flex:none}
.mark.provider{background:var(--text);color:var(--card)}
.mark.ok{background:var(--ok);color:#fff}.mark.bad{background:var(--danger);color:#fff}
.joiner{color:var(--muted);font-size:1.25rem}
.lead{color:var(--muted)}
.scopes{list-style:none;padding:0;margin:.5rem 0 0;border:1px solid var(--line);border-radius:10px}
.scopes li{padding:.6rem .85rem;border-top:1px solid var(--line);overflow-wrap:anywhere}
.scopes li:first-child{border-top:0}
.who{margin:1rem 0 0;padding:.75rem .85rem;border-radius:10px;background:var(--bg);font-size:.95rem}
.actions{display:flex;flex-direction:row-reverse;gap:.75rem;margin-top:1.5rem}
.actions>*{flex:1}
.btn,button{font:inherit;font-weight:600;border-radius:10px;padding:.7rem 1rem;border:1px solid var(--line);background:var(--card);color:var(--text);cursor:pointer;text-align:center;text-decoration:none;display:inline-block;min-height:2.75rem}
.btn:hover,button:hover{border-color:var(--muted)}
.btn.primary,button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-text)}
.btn.primary:hover,button.primary:hover{background:var(--accent-hover);border-color:var(--accent-hover)}
.choices{list-style:none;padding:0;margin:1rem 0 0;display:grid;gap:.5rem}
.choices a{display:flex;align-items:center;gap:.75rem;padding:.75rem .85rem;border:1px solid var(--line);border-radius:10px;color:var(--text);text-decoration:none;font-weight:600}
.choices a:hover{border-color:var(--accent)}
.choices .mark{width:2.25rem;height:2.25rem;font-size:1rem;border-radius:9px}
.field{display:flex;flex-direction:column;gap:.3rem;margin-top:1rem}
.field label{font-weight:600}
.field .hint{color:var(--muted);font-size:.875rem;margin:0}
input,select{font:inherit;color:var(--text);background:var(--card);border:1px solid var(--muted);border-radius:8px;padding:.6rem .7rem;width:100%}
.alert{border:1px solid var(--danger);border-left-width:4px;border-radius:10px;padding:.6rem .85rem;margin:1rem 0 0;color:var(--text)}
.alert.ok{border-color:var(--ok)}
.fine{color:var(--muted);font-size:.875rem;margin-top:1.25rem}
.footer{color:var(--muted);font-size:.8125rem;margin-top:1.25rem;text-align:center}
@media (max-width:480px){.shell{justify-content:flex-start;padding:1rem .75rem}.card{padding:1.5rem 1.25rem}.actions{flex-direction:column}}
body.console{padding:2rem;max-width:78rem;margin-inline:auto;background:var(--bg)}
body.console main{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:1.5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;border:1px solid currentColor}
.badge.active{color:var(--ok)}.badge.revoked{color:var(--danger)}.badge.reauthorization_required{color:var(--warn)}
.error{border-left:4px solid var(--danger);padding-left:1rem}
.notice{border-left:4px solid var(--ok);padding-left:1rem}
form.inline{display:inline}
header.console{display:flex;flex-wrap:wrap;gap:.5rem 1rem;justify-content:space-between;align-items:center;border-bottom:1px solid var(--line);padding-bottom:.75rem;margin-bottom:1.25rem}
header.console nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem;align-items:center}
header.console nav a{text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}
header.console nav a[aria-current=page]{color:var(--text);border-bottom-color:var(--accent);font-weight:600}
header.console nav a.brand{color:var(--text);font-weight:700;margin-right:.5rem}
header.console button{min-height:2.25rem;padding:.35rem .8rem}
.scroll{overflow-x:auto;margin:0 -.25rem}
.scroll th,.scroll td{white-space:nowrap;overflow-wrap:normal}
td button{min-height:2.25rem;padding:.3rem .75rem;font-size:.875rem}
th{font-size:.85rem;color:var(--muted);font-weight:600;white-space:nowrap}
time{white-space:nowrap}.rel{color:var(--muted);font-size:.85rem}
.pager{display:flex;gap:1rem;align-items:center;justify-content:flex-end;margin-top:1rem;color:var(--muted)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.75rem;margin:1rem 0}
.tile{display:flex;flex-direction:column;padding:.85rem 1rem;border:1px solid var(--line);border-radius:10px;text-decoration:none;color:var(--text)}
.tile:hover{border-color:var(--accent)}.tile strong{font-size:1.6rem;line-height:1.2}.tile span{color:var(--muted);font-size:.875rem}
.chart{margin:0}.chart svg{width:100%;height:auto;display:block}
.chart .axis{stroke:var(--line)}.chart text{fill:var(--muted);font-size:11px}
.bar-refresh{fill:var(--danger)}.bar-proxy{fill:var(--warn)}
.chart figcaption{display:flex;flex-wrap:wrap;gap:.5rem 1rem;font-size:.875rem;margin-top:.5rem}
.key::before{content:"";display:inline-block;width:.75rem;height:.75rem;border-radius:2px;margin-right:.35rem;vertical-align:-1px}
.key.refresh::before{background:var(--danger)}.key.proxy::before{background:var(--warn)}
.badge.success,.badge.delivered{color:var(--ok)}.badge.failed{color:var(--danger)}.badge.pending{color:var(--warn)}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin-bottom:1rem}
form.filters input,form.filters select{width:auto}
form.filters label{display:flex;flex-direction:column;gap:.25rem;font-weight:600;font-size:.875rem}
.badge{white-space:nowrap}
form.stack{display:flex;flex-direction:column;gap:.5rem;max-width:24rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
a.button{display:inline-block;padding:.3rem .6rem;border:1px solid currentColor;border-radius:.25rem;text-decoration:none}
.danger{color:var(--danger)}
button.danger{border:1px solid var(--danger);background:var(--danger);color:#fff}
textarea{font:inherit;color:var(--text);background:var(--card);border:1px solid var(--muted);border-radius:8px;padding:.6rem .7rem;width:100%;resize:vertical}
p.hint{color:var(--muted);font-size:.875rem}
.field-error{color:var(--danger);font-size:.875rem;font-weight:600;margin:0}
.field.invalid input,.field.invalid select,.field.invalid textarea{border:2px solid var(--danger)}
.panel{max-width:42rem}
h2.part{font-size:1.125rem;margin-top:2rem;padding-top:1.25rem;border-top:1px solid var(--line)}
fieldset.checks{border:0;padding:0;margin:1rem 0 0;min-width:0}
fieldset.checks legend{font-weight:600;padding:0;margin-bottom:.3rem}
.check{display:flex;align-items:center;gap:.5rem;padding:.2rem 0}
.check input{width:1.1rem;height:1.1rem;margin:0;flex:none}
.field .check{font-weight:400;overflow-wrap:anywhere;min-width:0}
.copy-row{display:flex;gap:.5rem}
.copy-row input{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem;min-width:0}
.copy-row button{flex:none}
.copy-status:empty{display:none}
.title-row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.title-row h1{margin:0}
.alert.warn{border-color:var(--warn)}
body.console .actions{flex-direction:row;flex-wrap:wrap;margin-top:1rem}
body.console .actions>*{flex:none}
.row-actions{display:flex;flex-wrap:nowrap;gap:.4rem}
td .btn{min-height:2.25rem;padding:.3rem .75rem;font-size:.875rem}
.scroll td.wrap{white-space:normal;min-width:10rem}
.btn.danger-outline{color:var(--danger);border-color:var(--danger)}
.choices.templates{grid-template-columns:repeat(auto-fill,minmax(13rem,1fr))}
.choices.templates a{height:100%}
/* Last, so it wins over the console rules above on a phone. */
@media (max-width:600px){body.console{padding:.75rem}body.console main{padding:1rem}form.filters{flex-direction:column;align-items:stretch}form.filters input,form.filters select{width:100%}}
`;
