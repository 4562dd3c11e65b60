// The test's own view of a SoftHSM2 token, in a process of its own: SoftHSM reads
// SOFTHSM2_CONF from the real environment, which a Jest test cannot set for itself.
// `inspect <label>` prints what the token says about those keys; `destroy <label>` deletes them.
import lib from 'pkcs11js';

const [action, keyLabel] = process.argv.slice(2) as [string, string];
const p11 = new lib.PKCS11();
p11.load(process.env.SOFTHSM_MODULE as string);
p11.C_Initialize();
try {
  const slot = p11
    .C_GetSlotList(true)
    .find((s) => p11.C_GetTokenInfo(s).label.trim() === process.env.SOFTHSM_TOKEN_LABEL);
  if (!slot) throw new Error(`no token labelled ${process.env.SOFTHSM_TOKEN_LABEL}`);
  const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
  p11.C_Login(session, lib.CKU_USER, process.env.SOFTHSM_PIN);
  p11.C_FindObjectsInit(session, [
    { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
    { type: lib.CKA_LABEL, value: keyLabel },
  ]);
  const keys = p11.C_FindObjects(session, 10);
  p11.C_FindObjectsFinal(session);
  if (action === 'destroy') {
    for (const key of keys) p11.C_DestroyObject(session, key);
    process.stdout.write('[]\n');
  } else {
    const described = keys.map((key) => {
      const [sensitive, extractable, neverExtractable, local] = p11
        .C_GetAttributeValue(session, key, [
          { type: lib.CKA_SENSITIVE },
          { type: lib.CKA_EXTRACTABLE },
          { type: lib.CKA_NEVER_EXTRACTABLE },
          { type: lib.CKA_LOCAL },
        ])
        .map((a) => a.value?.[0] === 1);
      let valueRead: string;
      try {
        p11.C_GetAttributeValue(session, key, [{ type: lib.CKA_VALUE }]);
        valueRead = 'returned';
      } catch (error) {
        valueRead = (error as Error).message.split('\n')[0] ?? '';
      }
      return { sensitive, extractable, neverExtractable, local, valueRead };
    });
    process.stdout.write(`${JSON.stringify(described)}\n`);
  }
} finally {
  p11.C_Finalize();
  p11.close();
}
