import type { Money as MoneyValue } from '../api/types.ts';
import { useI18n } from '../app/i18n.tsx';
import { formatMinor, scaleOf } from '../lib/money.ts';

/** An amount in major units with its currency code; minor units stay exact (BigInt). */
export function Money({ amount, currency, scale }: { readonly amount: string | bigint; readonly currency: string; readonly scale?: number }) {
  const { locale } = useI18n();
  return (
    <span className="money">
      {formatMinor(amount, scale ?? scaleOf(currency), locale)} <span className="currency">{currency}</span>
    </span>
  );
}

export function MaybeMoney({ value }: { readonly value: MoneyValue | null | undefined }) {
  return value ? <Money amount={value.amount} currency={value.currency} /> : <span>—</span>;
}
