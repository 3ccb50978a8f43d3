import type { AlignedPair, Alignment } from './screening.align.ts';
import { formText, type NameForm } from './screening.names.ts';
import { damerauLevenshtein } from './screening.similarity.ts';

/**
 * Explanations in words, one step per line, for the analyst who has to decide whether a hit is the
 * person in front of them: what the names became after normalisation, which word met which and why,
 * what did not match, and what moved the score.
 */
const quoted = (text: string) => `"${text}"`;
const fixed = (value: number) => value.toFixed(2);

function pairStep(pair: AlignedPair, query: NameForm, listed: NameForm): string {
  const side = (form: NameForm, positions: readonly number[], text: string) =>
    positions.length > 1 ? `${positions.map((position) => quoted(form.tokens[position]?.text ?? '')).join(' + ')} joined` : quoted(text);
  const left = side(query, pair.query, pair.queryText);
  const right = side(listed, pair.candidate, pair.candidateText);
  switch (pair.reason) {
    case 'same':
      return `${left} = ${right}`;
    case 'initial':
      return pair.queryText.length === 1 ? `${left} is the initial of ${right}` : `${right} is the initial of ${left}`;
    case 'transliteration':
      return `${left} and ${right} are spellings of one name (transliteration key ${query.tokens[pair.query[0] as number]?.key ?? ''})`;
    case 'similar_spelling':
      return `${left} ≈ ${right}: same consonants, vowels differ (similarity ${fixed(pair.similarity)})`;
    case 'spelling': {
      const edits = damerauLevenshtein(pair.queryText, pair.candidateText);
      return `${left} ≈ ${right}: ${edits} edit${edits === 1 ? '' : 's'} apart (similarity ${fixed(pair.similarity)})`;
    }
  }
}

export interface ExplanationInput {
  readonly queryName: string;
  readonly queryForm: NameForm;
  readonly listedName: string;
  readonly listedForm: NameForm;
  readonly alignment: Alignment;
  readonly adjustments: readonly string[];
  readonly finalScore: number;
}

export function explain(input: ExplanationInput): string[] {
  const { queryForm, listedForm, alignment } = input;
  const steps = [`query ${quoted(input.queryName)} normalised to ${quoted(formText(queryForm))}`];
  if (queryForm.derivation) steps.push(`query: ${queryForm.derivation}`);
  steps.push(`listed name ${quoted(input.listedName)} normalised to ${quoted(formText(listedForm))}`);
  if (listedForm.derivation) steps.push(`listed name: ${listedForm.derivation}`);
  // In the order of the query's words, which is how a reader goes through the name.
  const pairs = [...alignment.pairs].sort((a, b) => (a.query[0] as number) - (b.query[0] as number));
  for (const pair of pairs) steps.push(pairStep(pair, queryForm, listedForm));
  if (alignment.orderDiffers) steps.push('word order differs');
  const missing = (form: NameForm, positions: readonly number[]) => positions.map((position) => quoted(form.tokens[position]?.text ?? '')).join(', ');
  if (alignment.unmatchedQuery.length > 0) steps.push(`not found in the listed name: ${missing(queryForm, alignment.unmatchedQuery)}`);
  if (alignment.unmatchedCandidate.length > 0) steps.push(`not found in the query: ${missing(listedForm, alignment.unmatchedCandidate)}`);
  steps.push(`name score ${fixed(alignment.score)}`);
  steps.push(...input.adjustments);
  if (input.adjustments.length > 0) steps.push(`score ${fixed(input.finalScore)}`);
  return steps;
}
