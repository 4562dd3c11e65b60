import type { z } from 'zod';
import { BrokerError } from '../errors/index.js';
import { issuesByField } from '../validation-messages.js';
import { html, type SafeHtml } from '../views/html.js';

/** Messages by form field; `""` is a problem of the whole form. */
export type FieldErrors = Record<string, string>;

/** What a form sent, as text: every field a string (repeated ones joined by newlines). */
export type FormValues = Record<string, string>;

/** A form refused: shown again with what was typed, each message next to its field. */
export class FormRejected extends Error {
  constructor(
    readonly status: number,
    readonly errors: FieldErrors,
  ) {
    super(Object.values(errors).join('; '));
  }
}

/**
 * The text fields of an urlencoded body (`csrf` left out). A checkbox group sends its name
 * once per ticked box; `lists` names those, whose values are kept as arrays.
 *
 * @example
 * const { values, lists } = formValues(req.body, ['allowed_providers']);
 */
export function formValues<L extends string>(
  body: unknown,
  listNames: readonly L[] = [],
): { values: FormValues; lists: Record<L, string[]> } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const values: FormValues = {};
  const lists = {} as Record<L, string[]>;
  for (const name of listNames) {
    const v = raw[name];
    lists[name] = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'csrf' || (listNames as readonly string[]).includes(k)) continue;
    values[k] = Array.isArray(v) ? v.map(String).join('\n') : String(v);
  }
  return { values, lists };
}

/** Lines or commas of a text box as a list, blanks dropped. */
export const splitList = (text: string | undefined) =>
  (text ?? '')
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The optional text of a field: absent when left empty. */
export const optional = (text: string | undefined) =>
  text === undefined || text.trim() === '' ? undefined : text.trim();

/**
 * Parses a form's body with the admin API's schema.
 * @throws FormRejected (400) with each problem under its field
 */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new FormRejected(400, issuesByField(result.error.issues, input, schema));
}

/** A leading "`field`" or "field:" of a domain error names the field it is about. */
const LEADING_FIELD = /^`?([a-z_]+)`?:? /;

/**
 * A form's refusal from what a domain function or `parseForm` threw; undefined for
 * anything else (a fault, shown as the console's error page).
 */
export function rejectionOf(error: unknown, fields: readonly string[]): FormRejected | undefined {
  if (error instanceof FormRejected) return error;
  if (!(error instanceof BrokerError) || error.status >= 500) return undefined;
  const lead = LEADING_FIELD.exec(error.message);
  const field = lead?.[1];
  const status = error.status === 401 ? 400 : error.status;
  return new FormRejected(
    status,
    field && fields.includes(field)
      ? { [field]: error.message.slice(lead[0].length) }
      : { '': error.message },
  );
}

/** Whole-form problems as an alert above the fields. */
export const formAlert = (errors: FieldErrors) =>
  errors['']
    ? html`<div class="alert" role="alert"><p>${errors['']}</p></div>`
    : Object.keys(errors).length > 0
      ? html`<div class="alert" role="alert">
          <p>Some fields need a change; see the messages below.</p>
        </div>`
      : '';

interface FieldOptions {
  name: string;
  label: string;
  values: FormValues;
  errors: FieldErrors;
  hint?: string;
  type?: 'text' | 'url' | 'password' | 'datetime-local';
  required?: boolean;
  placeholder?: string;
  /** A text area of this many rows instead of a one-line input. */
  rows?: number;
}

/** A labelled input with its hint and its error message, tied together for screen readers. */
export function field(o: FieldOptions): SafeHtml {
  const error = o.errors[o.name];
  const id = `f-${o.name}`;
  const describedBy = [o.hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const attrs = html`id="${id}" name="${o.name}" ${o.required ? html`required` : ''}
  ${describedBy ? html`aria-describedby="${describedBy}"` : ''}
  ${error ? html`aria-invalid="true"` : ''}
  ${o.placeholder ? html`placeholder="${o.placeholder}"` : ''} autocomplete="off"`;
  // A secret typed into a refused form is not sent back to the browser.
  const value = o.type === 'password' ? '' : (o.values[o.name] ?? '');
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${id}">${o.label}</label>
    ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
    ${
      o.rows
        ? html`<textarea ${attrs} rows="${o.rows}">${value}</textarea>`
        : html`<input ${attrs} type="${o.type ?? 'text'}" value="${value}" />`
    }
    ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ''}
  </div>`;
}

/** A labelled drop-down; `options` are [value, label] pairs. */
export function selectField(
  o: Omit<FieldOptions, 'type' | 'rows' | 'placeholder'> & { options: [string, string][] },
): SafeHtml {
  const error = o.errors[o.name];
  const id = `f-${o.name}`;
  const current = o.values[o.name] ?? '';
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${id}">${o.label}</label>
    ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
    <select
      id="${id}"
      name="${o.name}"
      ${o.hint || error ? html`aria-describedby="${o.hint ? `${id}-hint` : ''} ${error ? `${id}-error` : ''}"` : ''}
      ${error ? html`aria-invalid="true"` : ''}
    >
      ${o.options.map(
        ([v, label]) =>
          html`<option value="${v}" ${v === current ? html`selected` : ''}>${label}</option>`,
      )}
    </select>
    ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ''}
  </div>`;
}

/** A group of checkboxes sending `name` once per ticked box. */
export function checkboxField(o: {
  name: string;
  legend: string;
  options: string[];
  checked: readonly string[];
  errors: FieldErrors;
  hint?: string;
}): SafeHtml {
  const error = o.errors[o.name];
  return html`<fieldset class="field checks${error ? ' invalid' : ''}">
    <legend>${o.legend}</legend>
    ${o.hint ? html`<p class="hint">${o.hint}</p>` : ''}
    ${
      o.options.length === 0
        ? html`<p class="hint">None registered yet.</p>`
        : o.options.map(
            (v) =>
              html`<label class="check"
                ><input
                  type="checkbox"
                  name="${o.name}"
                  value="${v}"
                  ${o.checked.includes(v) ? html`checked` : ''}
                />
                ${v}</label
              >`,
          )
    }
    ${error ? html`<p class="field-error" role="alert">${error}</p>` : ''}
  </fieldset>`;
}

/**
 * A secret or link shown in a read-only box with a Copy button. Without script it is a
 * read-only input to select and copy by hand (the button stays hidden); with
 * `/assets/console.js` the text is selected and the button copies it with
 * `navigator.clipboard`. A page using it passes `{ copy: true }` to `layout`.
 */
export function copyBox(
  id: string,
  label: string,
  value: string,
  hint?: string,
  /** The page's point (a secret or link just made): focused and selected on load. */
  focus = false,
): SafeHtml {
  return html`<div class="field copy">
    <label for="${id}">${label}</label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}
    <div class="copy-row">
      <input
        id="${id}"
        type="text"
        readonly
        value="${value}"
        data-select-on-focus
        ${focus ? html`data-focus` : ''}
        ${hint ? html`aria-describedby="${id}-hint"` : ''}
      />
      <button type="button" class="copy-button" data-copy="${id}" hidden>Copy</button>
    </div>
    <p class="hint copy-status" role="status" id="${id}-status"></p>
  </div>`;
}

/**
 * The JSON of a text box; undefined when left empty.
 * @throws FormRejected (400) under the field when it is not JSON
 */
export function jsonField(values: FormValues, name: string): unknown {
  const text = optional(values[name]);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FormRejected(400, { [name]: 'must be JSON, e.g. {"keys": [ … ]}' });
  }
}
