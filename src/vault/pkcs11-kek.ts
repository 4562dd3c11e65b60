import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyEncryptionKey } from './kek.js';

/** Where the HSM key is: TOKEN_KEK_PKCS11_* (see the README). */
export interface Pkcs11Options {
  module: string;
  /** Slot id, or the label of the token to find the slot by. */
  slot: number | undefined;
  tokenLabel: string | undefined;
  pin: string | undefined;
  pinFile: string | undefined;
  /** Label of the AES-256 secret key that wraps new DEKs. */
  keyLabel: string;
}

/** Start-up failures of the HSM KEK; the message is the one line the operator sees. */
export class KekError extends Error {
  override name = 'KekError';
}

const IV = 12;
const TAG_BITS = 128;

// A CK_SLOT_ID is a native unsigned long: 8 bytes on 64-bit Linux, 4 elsewhere.
const slotNumber = (h: Buffer) =>
  h.length >= 8 ? h.readBigUInt64LE(0) : BigInt(h.readUInt32LE(0));

/**
 * A KEK held in an HSM (or SoftHSM2) over PKCS#11. It never leaves the token: DEKs are wrapped
 * by `C_Encrypt` with CKM_AES_GCM (random IV, the DEK's row id as AAD) and unwrapped by
 * `C_Decrypt`, only when a DEK is made, rotated or loaded — never on a field read.
 * A DEK wrapped under an older key label unwraps as long as that key is still in the token.
 *
 * @throws KekError for a missing module, slot, token or key, or a wrong PIN.
 */
export async function pkcs11Kek(o: Pkcs11Options): Promise<KeyEncryptionKey> {
  // Loaded only here, so a broker on the env KEK never loads the native addon.
  const lib = (
    await import('pkcs11js').catch((cause: unknown) => {
      throw new KekError(
        `TOKEN_KEK=pkcs11 needs the pkcs11js native addon, which did not load (${(cause as Error).message})`,
      );
    })
  ).default;
  const p11 = new lib.PKCS11();
  try {
    p11.load(o.module);
  } catch {
    throw new KekError(`TOKEN_KEK_PKCS11_MODULE "${o.module}" could not be loaded`);
  }
  p11.C_Initialize();
  const fail = (message: string): never => {
    try {
      p11.C_Finalize();
      p11.close();
    } catch {
      // Already failing start-up; the message below is the one that matters.
    }
    throw new KekError(message);
  };
  const slots = p11.C_GetSlotList(true);
  const slot =
    o.slot !== undefined
      ? slots.find((s) => slotNumber(s) === BigInt(o.slot as number))
      : slots.find((s) => p11.C_GetTokenInfo(s).label.trim() === o.tokenLabel);
  if (!slot) {
    return fail(
      o.slot !== undefined
        ? `PKCS#11 slot ${o.slot} has no token`
        : `no PKCS#11 token is labelled "${o.tokenLabel}"`,
    );
  }
  let pin: string;
  try {
    pin = o.pinFile ? readFileSync(o.pinFile, 'utf8').trim() : (o.pin ?? '');
  } catch {
    return fail(`TOKEN_KEK_PKCS11_PIN_FILE "${o.pinFile}" cannot be read`);
  }
  const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
  try {
    p11.C_Login(session, lib.CKU_USER, pin);
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === lib.CKR_PIN_INCORRECT) return fail('the PKCS#11 PIN is wrong (CKR_PIN_INCORRECT)');
    if (code === lib.CKR_PIN_LOCKED) return fail('the PKCS#11 PIN is locked (CKR_PIN_LOCKED)');
    if (code !== lib.CKR_USER_ALREADY_LOGGED_IN) {
      return fail(`PKCS#11 login failed (${(error as Error).message.split('\n')[0]})`);
    }
  }
  const handles = new Map<string, Buffer>();
  const find = (label: string): Buffer | undefined => {
    const cached = handles.get(label);
    if (cached) return cached;
    p11.C_FindObjectsInit(session, [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_LABEL, value: label },
    ]);
    const found = p11.C_FindObjects(session);
    p11.C_FindObjectsFinal(session);
    if (found) handles.set(label, found);
    return found ?? undefined;
  };
  const current = find(o.keyLabel);
  if (!current) return fail(`the PKCS#11 token has no secret key labelled "${o.keyLabel}"`);
  const gcm = (iv: Buffer, aad: Buffer) => ({
    mechanism: lib.CKM_AES_GCM,
    parameter: { type: lib.CK_PARAMS_GCM, iv, ivBits: IV * 8, aad, tagBits: TAG_BITS },
  });
  return {
    kind: 'pkcs11',
    currentId: o.keyLabel,
    has: (kekId) => find(kekId) !== undefined,
    wrap(dek, aad) {
      const iv = randomBytes(IV);
      p11.C_EncryptInit(session, gcm(iv, aad), current);
      const out = p11.C_Encrypt(session, dek, Buffer.alloc(dek.length + TAG_BITS / 8));
      return Promise.resolve({ kekId: o.keyLabel, wrapped: Buffer.concat([iv, out]) });
    },
    unwrap(wrapped, kekId, aad) {
      const key = find(kekId);
      if (!key) {
        return Promise.reject(new Error(`the PKCS#11 token has no key labelled "${kekId}"`));
      }
      try {
        p11.C_DecryptInit(session, gcm(wrapped.subarray(0, IV), aad), key);
        const body = wrapped.subarray(IV);
        return Promise.resolve(
          Buffer.from(p11.C_Decrypt(session, body, Buffer.alloc(body.length))),
        );
      } catch {
        return Promise.reject(new Error(`PKCS#11 key "${kekId}" does not unwrap the data key`));
      }
    },
    close() {
      try {
        p11.C_Logout(session);
        p11.C_CloseSession(session);
        p11.C_Finalize();
        p11.close();
      } catch {
        // Closing at shutdown: nothing useful to do with a failure here.
      }
      return Promise.resolve();
    },
  };
}
