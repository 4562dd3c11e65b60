/**
 * What a fault suite counts across its scenarios; printed as one summary line and
 * asserted zero where it must be.
 */
export function createTally(suite: string) {
  const t = { scenarios: 0, tokensLost: 0, wrongReauthorization: 0, duplicateGrants: 0 };
  return {
    counts: t,
    scenario() {
      t.scenarios++;
    },
    tokenLost(lost: boolean) {
      if (lost) t.tokensLost++;
    },
    wrongReauthorization(wrong: boolean) {
      if (wrong) t.wrongReauthorization++;
    },
    duplicateGrants(n: number) {
      t.duplicateGrants += Math.max(0, n);
    },
    print() {
      console.log(
        `faults: ${t.scenarios} scenarios, tokens lost ${t.tokensLost}, ` +
          `wrong reauthorization ${t.wrongReauthorization}, duplicate grants ${t.duplicateGrants} (${suite})`,
      );
    },
  };
}

/** Uses a refresh token directly at the real provider: does it still work? */
export async function refreshTokenWorks(
  tokenEndpoint: string,
  refreshToken: string,
  client = { id: 'broker', secret: 'broker-secret' },
): Promise<boolean> {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return res.status === 200;
}
