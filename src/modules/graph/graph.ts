/** Mule-ring detection: what other modules read of it. */
export interface MuleScores {
  /** 0..1 score of an account from the latest scan; 0 for accounts never scored. */
  scoreOf(accountId: string): number;
}
