/**
 * Minting across a secret rotation: when the enterprise grant proves the selected secret version
 * wrong, the credential selector names the next version to try (a re-read, then `AWSPREVIOUS`),
 * at most {@link MAX_VERSIONS_PER_REQUEST} versions in one request.
 */
import { CredentialsProvenWrong } from './credential-proof.js';
import type { CredentialSelector } from './credential-selection.js';
import type { BoxCredentials } from './credentials.js';
import type { RequestScope } from './requests.js';
import type { IssuedToken } from './token-minter.js';

/** Versions of the secret tried in one request: the one selected, a re-read, the previous. */
const MAX_VERSIONS_PER_REQUEST = 3;

/**
 * `attempt` with the selected credentials, then with the next version each time it throws
 * {@link CredentialsProvenWrong}; the last rejection when no version is left.
 */
export async function withRotation<R extends { value: IssuedToken }>(
  selector: CredentialSelector,
  scope: RequestScope,
  attempt: (credentials: BoxCredentials) => Promise<R>,
): Promise<R> {
  let credentials = await selector.select(scope.deadline, scope.trace);
  for (let tried = 1; ; tried += 1) {
    try {
      const result = await attempt(credentials);
      // A rotation handled as designed: counted as a re-read, not as a Box error.
      if (tried > 1 && !selector.isFallback(result.value.versionId)) {
        scope.trace.boxError = undefined;
      }
      return result;
    } catch (error) {
      if (!(error instanceof CredentialsProvenWrong)) throw error;
      const next =
        tried < MAX_VERSIONS_PER_REQUEST
          ? await selector.rejected(credentials, scope.deadline, scope.trace)
          : undefined;
      if (next === undefined) throw error.rejection;
      credentials = next;
    }
  }
}
