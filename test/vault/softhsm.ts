import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** What the token says about a key (see softhsm-tool.ts). */
export interface KeyFacts {
  sensitive: boolean;
  extractable: boolean;
  neverExtractable: boolean;
  local: boolean;
  /** `returned`, or the error reading CKA_VALUE gave. */
  valueRead: string;
}

/**
 * A SoftHSM2 token of its own for one test file: a private SOFTHSM2_CONF and token directory,
 * initialised with `softhsm2-util` as an operator would. Every process that must see it gets
 * `SOFTHSM2_CONF` from `env()`.
 */
export function createSoftHsmToken(label: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tb-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const hsmEnv = { ...process.env, SOFTHSM2_CONF: conf };
  const pin = '5417-2209';
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', '9931-7781', '--pin', pin],
    { env: hsmEnv },
  );
  const pinFile = join(dir, 'user.pin');
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  const tool = (action: 'inspect' | 'destroy', keyLabel: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'test/vault/softhsm-tool.ts', action, keyLabel],
        {
          env: {
            ...hsmEnv,
            SOFTHSM_MODULE,
            SOFTHSM_TOKEN_LABEL: label,
            SOFTHSM_PIN: pin,
          },
        },
      ).toString(),
    ) as KeyFacts[];

  return {
    /** The broker's TOKEN_KEK_PKCS11_* for this token, with its SOFTHSM2_CONF. */
    env: (keyLabel: string): Record<string, string> => ({
      SOFTHSM2_CONF: conf,
      TOKEN_KEK: 'pkcs11',
      TOKEN_KEK_PKCS11_MODULE: SOFTHSM_MODULE,
      TOKEN_KEK_PKCS11_TOKEN_LABEL: label,
      TOKEN_KEK_PKCS11_PIN_FILE: pinFile,
      TOKEN_KEK_PKCS11_KEY_LABEL: keyLabel,
    }),
    /** Every secret key labelled `keyLabel`, as the token describes it. */
    inspectKey: (keyLabel: string) => tool('inspect', keyLabel),
    /** Deletes the keys labelled `keyLabel` from the token (C_DestroyObject). */
    destroyKey: (keyLabel: string) => void tool('destroy', keyLabel),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
