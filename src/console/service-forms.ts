import { formValues, jsonField, optional, splitList, type FormValues } from './forms.js';

/** What the service form sent: its text fields and the ticked providers. */
export interface ServiceForm {
  values: FormValues;
  providers: string[];
}

/** Reads the service form of an urlencoded body. */
export function serviceForm(body: unknown): ServiceForm {
  const { values, lists } = formValues(body, ['allowed_providers']);
  return { values, providers: lists.allowed_providers };
}

/**
 * The service form as the admin API's body; on update an emptied `display_name` or `jwks`
 * is `null` (cleared), on create it is left out.
 * @throws FormRejected when the JWKS box is not JSON
 */
export function serviceBodyOf(form: ServiceForm, update: boolean): Record<string, unknown> {
  const none = update ? null : undefined;
  return {
    name: form.values.name ?? '',
    display_name: optional(form.values.display_name) ?? none,
    connection_access: form.values.connection_access,
    allowed_providers: form.providers,
    allowed_return_to: splitList(form.values.allowed_return_to),
    jwks: jsonField(form.values, 'jwks') ?? none,
  };
}

/** An optional instant field as the admin API's body field, left out when empty. */
export const instantBody = (values: FormValues, name: string) => {
  const v = optional(values[name]);
  return v === undefined ? {} : { [name]: v };
};
