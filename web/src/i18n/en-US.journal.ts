/**
 * English wording of the journal page (web/src/pages/journal): the hash chain, verification,
 * signed checkpoints and proofs. Part of the English catalogue (en-US.ts), kept apart so that each
 * file stays readable.
 */
export const enUSJournal = {
  'journal.chain': 'Hash chain',
  'journal.entries': 'Entries',
  'journal.algorithm': 'Algorithm',
  'journal.headHash': 'Head hash',
  'journal.verify': 'Verification',
  'journal.verifyIntro': 'Recomputes the hash chain, every record behind it and every signed checkpoint.',
  'journal.verifyNow': 'Verify now',
  'journal.progress': 'Verification progress',
  'journal.checked': '{checked} of {total} entries checked',
  'journal.verified': 'Verified: {entries} entries',
  'journal.notVerified': 'Verification found {count} problems',
  'journal.checkpoints': 'Signed checkpoints',
  'journal.signNow': 'Sign a checkpoint now',
  'journal.signed': 'Checkpoint signed',
  'journal.treeSize': 'Entries covered',
  'journal.suite': 'Suite',
  'journal.signatures': 'Signatures',
  'journal.verifiable': 'Verified',
  'journal.checkpointVerified': 'verified',
  'journal.checkpointUnverifiable': 'cannot be verified',
  'journal.unverifiableWhy': 'Why this server cannot verify it',
  'journal.root': 'Merkle root',
  'journal.keys': 'Signing keys',
  'journal.keyId': 'Key id',
  'journal.activeFrom': 'Active from',
  'journal.retiredAt': 'Retired',
  'journal.active': 'active',
};
