import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as Pkcs11 from 'pkcs11js';
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

type Lib = typeof Pkcs11;
type Handle = Buffer;

const IV = 12;
const TAG_BITS = 128;

// A CK_SLOT_ID is a native unsigned long: 8 bytes on 64-bit Linux, 4 elsewhere.
const slotNumber = (h: Buffer) =>
  h.length >= 8 ? h.readBigUInt64LE(0) : BigInt(h.readUInt32LE(0));

const codeOf = (error: unknown) => (error as { code?: number }).code;
const firstLine = (error: unknown) => (error as Error).message.split('\n')[0];

/**
 * A PKCS#11 module is initialised once per process: a second `C_Initialize` is refused, and
 * `C_Finalize` would end every other user's sessions (the CLI and doctor may open the KEK
 * beside a keyring). Finalised when its last user closes.
 */
const modules = new Map<string, { p11: InstanceType<Lib['PKCS11']>; users: number }>();

async function loadModule(path: string) {
  // Loaded only here, so a broker on the env KEK never loads the native addon.
  const lib = (
    (await import('pkcs11js').catch((cause: unknown) => {
      throw new KekError(
        `TOKEN_KEK=pkcs11 needs the pkcs11js native addon, which did not load (${(cause as Error).message})`,
      );
    })) as { default: Lib }
  ).default;
  let entry = modules.get(path);
  if (!entry) {
    const p11 = new lib.PKCS11();
    try {
      p11.load(path);
    } catch {
      throw new KekError(`TOKEN_KEK_PKCS11_MODULE "${path}" could not be loaded`);
    }
    try {
      p11.C_Initialize();
    } catch (error) {
      if (codeOf(error) !== lib.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        p11.close();
        throw new KekError(`PKCS#11 C_Initialize failed (${firstLine(error)})`);
      }
    }
    entry = { p11, users: 0 };
    modules.set(path, entry);
  }
  entry.users += 1;
  const release = () => {
    const e = modules.get(path);
    if (!e || --e.users > 0) return;
    modules.delete(path);
    try {
      e.p11.C_Finalize();
      e.p11.close();
    } catch {
      // Releasing at shutdown or after a failed start: nothing useful to do with a failure.
    }
  };
  return { lib, p11: entry.p11, release };
}

/** A logged-in read-write session on the configured token, reopened when the HSM drops it. */
async function openToken(o: Pkcs11Options) {
  const { lib, p11, release } = await loadModule(o.module);
  const fail = (message: string): never => {
    release();
    throw new KekError(message);
  };
  let slot: Handle | undefined;
  try {
    const slots = p11.C_GetSlotList(true);
    slot =
      o.slot !== undefined
        ? slots.find((s) => slotNumber(s) === BigInt(o.slot as number))
        : slots.find((s) => p11.C_GetTokenInfo(s).label.trim() === o.tokenLabel);
  } catch (error) {
    return fail(`PKCS#11 slots could not be listed (${firstLine(error)})`);
  }
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
  const tokenSlot = slot;
  const login = (): Handle => {
    const session = p11.C_OpenSession(tokenSlot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    try {
      p11.C_Login(session, lib.CKU_USER, pin);
    } catch (error) {
      // Login state belongs to the application: another session of this process logged in.
      if (codeOf(error) === lib.CKR_USER_ALREADY_LOGGED_IN) return session;
      p11.C_CloseSession(session);
      throw error;
    }
    return session;
  };
  let session: Handle;
  try {
    session = login();
  } catch (error) {
    const code = codeOf(error);
    if (code === lib.CKR_PIN_INCORRECT) return fail('the PKCS#11 PIN is wrong (CKR_PIN_INCORRECT)');
    if (code === lib.CKR_PIN_LOCKED) return fail('the PKCS#11 PIN is locked (CKR_PIN_LOCKED)');
    return fail(`PKCS#11 login failed (${firstLine(error)})`);
  }
  // Errors after which the session is gone (an HSM restarted, a network HSM reconnected).
  const lost = new Set([
    lib.CKR_SESSION_HANDLE_INVALID,
    lib.CKR_SESSION_CLOSED,
    lib.CKR_USER_NOT_LOGGED_IN,
    lib.CKR_DEVICE_REMOVED,
    lib.CKR_TOKEN_NOT_PRESENT,
  ]);
  const handles = new Map<string, Handle>();
  return {
    lib,
    p11,
    /** Runs `fn` on the session; once more on a fresh session when the old one was lost. */
    use<T>(fn: (session: Handle) => T): T {
      try {
        return fn(session);
      } catch (error) {
        if (!lost.has(codeOf(error) as number)) throw error;
        handles.clear();
        session = login();
        return fn(session);
      }
    },
    /** The secret key labelled `label` (object handles are per session: cached until lost). */
    find(s: Handle, label: string): Handle | undefined {
      const cached = handles.get(label);
      if (cached) return cached;
      p11.C_FindObjectsInit(s, [
        { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
        { type: lib.CKA_LABEL, value: label },
      ]);
      const found = p11.C_FindObjects(s, 2);
      p11.C_FindObjectsFinal(s);
      if (found.length > 1) {
        throw new KekError(`the PKCS#11 token holds more than one key labelled "${label}"`);
      }
      if (found[0]) handles.set(label, found[0]);
      return found[0];
    },
    close() {
      try {
        p11.C_CloseSession(session);
      } catch {
        // Closing at shutdown: nothing useful to do with a failure here.
      }
      release();
    },
  };
}

/**
 * A KEK held in an HSM (or SoftHSM2) over PKCS#11. It never leaves the token: DEKs are wrapped
 * by `C_Encrypt` with CKM_AES_GCM (random IV, the DEK's row id as AAD) and unwrapped by
 * `C_Decrypt`, only when a DEK is made, rotated or loaded — never on a field read.
 * A DEK wrapped under an older key label unwraps as long as that key is still in the token.
 * Start-up wraps and unwraps a test value, so a key that cannot do GCM fails here.
 *
 * @throws KekError for a missing module, slot, token or key, a wrong PIN, or an unusable key.
 */
export async function pkcs11Kek(o: Pkcs11Options): Promise<KeyEncryptionKey> {
  const token = await openToken(o);
  const { lib, p11 } = token;
  const gcm = (iv: Buffer, aad: Buffer) => ({
    mechanism: lib.CKM_AES_GCM,
    parameter: { type: lib.CK_PARAMS_GCM, iv, ivBits: IV * 8, aad, tagBits: TAG_BITS },
  });
  const keyOf = (s: Handle, label: string) => {
    const key = token.find(s, label);
    if (!key) throw new KekError(`the PKCS#11 token has no secret key labelled "${label}"`);
    return key;
  };
  const wrap = (dek: Buffer, aad: Buffer) =>
    token.use((s) => {
      const iv = randomBytes(IV);
      p11.C_EncryptInit(s, gcm(iv, aad), keyOf(s, o.keyLabel));
      const out = p11.C_Encrypt(s, dek, Buffer.alloc(dek.length + TAG_BITS / 8));
      return Buffer.concat([iv, out]);
    });
  const unwrap = (wrapped: Buffer, label: string, aad: Buffer) =>
    token.use((s) => {
      const key = keyOf(s, label);
      p11.C_DecryptInit(s, gcm(wrapped.subarray(0, IV), aad), key);
      const body = wrapped.subarray(IV);
      return Buffer.from(p11.C_Decrypt(s, body, Buffer.alloc(body.length)));
    });
  try {
    const probe = randomBytes(32);
    const aad = Buffer.from('token-broker KEK probe');
    if (!unwrap(wrap(probe, aad), o.keyLabel, aad).equals(probe)) {
      throw new KekError('the round trip returned other bytes');
    }
  } catch (error) {
    token.close();
    if (error instanceof KekError && error.message.startsWith('the PKCS#11 token')) throw error;
    throw new KekError(
      `the PKCS#11 key "${o.keyLabel}" cannot wrap with CKM_AES_GCM (${firstLine(error)}); it must be an AES-256 key with CKA_ENCRYPT and CKA_DECRYPT`,
    );
  }
  return {
    kind: 'pkcs11',
    currentId: o.keyLabel,
    has: (kekId) => token.use((s) => token.find(s, kekId) !== undefined),
    wrap(dek, aad) {
      try {
        return Promise.resolve({ kekId: o.keyLabel, wrapped: wrap(dek, aad) });
      } catch (error) {
        return Promise.reject(
          new Error(`PKCS#11 key "${o.keyLabel}" did not wrap (${firstLine(error)})`),
        );
      }
    },
    unwrap(wrapped, kekId, aad) {
      try {
        return Promise.resolve(unwrap(wrapped, kekId, aad));
      } catch (error) {
        if (error instanceof KekError) return Promise.reject(error);
        return Promise.reject(
          new Error(`PKCS#11 key "${kekId}" does not unwrap the data key (${firstLine(error)})`),
        );
      }
    },
    close() {
      token.close();
      return Promise.resolve();
    },
  };
}

/**
 * Generates the KEK inside the token (`token-broker keys create-kek`): AES-256, sensitive and
 * never extractable, usable only to encrypt and decrypt — its value never exists outside the HSM.
 *
 * @throws KekError when the token cannot be opened or already holds a key with this label.
 */
export async function createPkcs11Key(o: Pkcs11Options): Promise<void> {
  const token = await openToken(o);
  const { lib, p11 } = token;
  try {
    token.use((s) => {
      if (token.find(s, o.keyLabel)) {
        throw new KekError(`the PKCS#11 token already holds a key labelled "${o.keyLabel}"`);
      }
      p11.C_GenerateKey(s, { mechanism: lib.CKM_AES_KEY_GEN }, [
        { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
        { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
        { type: lib.CKA_VALUE_LEN, value: 32 },
        { type: lib.CKA_LABEL, value: o.keyLabel },
        { type: lib.CKA_TOKEN, value: true },
        { type: lib.CKA_PRIVATE, value: true },
        { type: lib.CKA_SENSITIVE, value: true },
        { type: lib.CKA_EXTRACTABLE, value: false },
        { type: lib.CKA_ENCRYPT, value: true },
        { type: lib.CKA_DECRYPT, value: true },
        { type: lib.CKA_WRAP, value: false },
        { type: lib.CKA_UNWRAP, value: false },
        { type: lib.CKA_SIGN, value: false },
        { type: lib.CKA_VERIFY, value: false },
      ]);
    });
  } catch (error) {
    if (error instanceof KekError) throw error;
    throw new KekError(`the PKCS#11 token refused to generate the key (${firstLine(error)})`);
  } finally {
    token.close();
  }
}
