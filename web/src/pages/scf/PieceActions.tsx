import { useState } from 'react';
import { App, Button, Form, Input, Modal, Select, Space } from 'antd';
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { callAction } from '../../api/act.ts';
import { ACTIONS, type ActionName } from '../../api/actions.ts';
import { newId } from '../../api/client.ts';
import type { Piece, ScfProgram } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { NumberInput } from '../../components/NumberInput.tsx';
import { formatMinor, parseMajor } from '../../lib/money.ts';
import { useFailureToast } from '../../lib/useProblems.ts';
import { useAccess } from '../../app/access.tsx';
import { mayAct } from '../../api/permissions.ts';

type Action = 'sign-off' | 'decline' | 'split' | 'transfer' | 'finance' | 'repurchase';

/** What the current state of a piece allows, and who acts: the holder, or the party asked to accept. */
export function actionsFor(piece: Piece): readonly Action[] {
  switch (piece.status) {
    case 'held': return ['split', 'transfer', 'finance'];
    case 'awaiting_signoff':
    case 'transfer_pending': return ['sign-off', 'decline'];
    case 'financed': return ['repurchase'];
    default: return [];
  }
}

/** The console's action (api/actions.ts) for each operation on a piece. */
const PIECE_ACTIONS = {
  'sign-off': 'signOffPiece', decline: 'declinePiece', split: 'splitPiece', transfer: 'transferPiece', finance: 'financePiece', repurchase: 'repurchasePiece',
} as const satisfies Readonly<Record<Action, ActionName>>;

const actingParty = (piece: Piece, action: Action) => (action === 'sign-off' || action === 'decline' ? piece.pending_holder_id ?? piece.holder_id : piece.holder_id);

/**
 * Buttons for the operations a piece allows. Operations without parameters run at once; split,
 * transfer and finance open a form. Each submission gets a fresh operation id (its idempotency key).
 */
export function PieceActions({ piece, program, scale, onDone }: { readonly piece: Piece; readonly program: ScfProgram | undefined; readonly scale: number; readonly onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [open, setOpen] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  // A role that may not write (an auditor) is not offered operations it would be refused.
  const { access } = useAccess();

  const run = async (action: Action, fields: Record<string, unknown> = {}) => {
    setBusy(true);
    try {
      await callAction(ACTIONS[PIECE_ACTIONS[action]], { params: { piece_id: piece.id }, body: { id: newId(), acting_party_id: actingParty(piece, action), ...fields } });
      void message.success(t('scf.operationDone', { action: t(`scf.action.${action}`) }));
      setOpen(null);
      onDone();
    } catch (error) {
      showFailure(error, { '/to_party_id': t('scf.receiver'), '/bank_id': t('scf.bank'), '/annual_rate_bps': t('scf.rateBps') });
    } finally {
      setBusy(false);
    }
  };

  const actions = mayAct(access, ACTIONS.signOffPiece) === false ? [] : actionsFor(piece);
  if (actions.length === 0) return null;
  return (
    <Space size={4} onClick={(event) => event.stopPropagation()}>
      {actions.map((action) => (
        <Button
          key={action}
          size="small"
          data-testid={`piece-${action}-${piece.id}`}
          loading={busy && open === null}
          onClick={() => (action === 'split' || action === 'transfer' || action === 'finance' ? setOpen(action) : void run(action))}
        >
          {t(`scf.action.${action}`)}
        </Button>
      ))}
      {open === 'split' && <SplitForm piece={piece} scale={scale} busy={busy} onCancel={() => setOpen(null)} onSubmit={(amounts) => run('split', { amounts })} />}
      {open === 'transfer' && (
        <ChoiceForm
          title={t('scf.action.transfer')}
          label={t('scf.receiver')}
          options={(program?.supplier_ids ?? []).filter((id) => id !== piece.holder_id)}
          busy={busy}
          onCancel={() => setOpen(null)}
          onSubmit={(toPartyId) => run('transfer', { to_party_id: toPartyId })}
        />
      )}
      {open === 'finance' && (
        <ChoiceForm
          title={t('scf.action.finance')}
          label={t('scf.bank')}
          options={program?.funding_bank_ids ?? []}
          withRate
          busy={busy}
          onCancel={() => setOpen(null)}
          onSubmit={(bankId, rateBps) => run('finance', { bank_id: bankId, annual_rate_bps: rateBps })}
        />
      )}
    </Space>
  );
}

function SplitForm({ piece, scale, busy, onCancel, onSubmit }: { readonly piece: Piece; readonly scale: number; readonly busy: boolean; onCancel(): void; onSubmit(amounts: string[]): void }) {
  const { t, locale } = useI18n();
  const [form] = Form.useForm<{ parts: { amount: string }[] }>();
  const total = BigInt(piece.amount);
  // A first guess: two halves in whole major units, the remainder in the second part.
  const unit = 10n ** BigInt(scale);
  const half = (total / 2n / unit) * unit || total / 2n;
  const initial = [half, total - half].map((amount) => ({ amount: formatMinor(amount, scale).replace(/,/g, '') }));
  const finish = ({ parts }: { parts: { amount: string }[] }) => {
    const amounts = parts.map((part) => parseMajor(part.amount ?? '', scale));
    if (amounts.some((amount) => amount === null)) return;
    onSubmit(amounts as string[]);
  };
  return (
    <Modal open title={t('scf.action.split')} onCancel={onCancel} onOk={() => form.submit()} okText={t('scf.action.split')} confirmLoading={busy} destroyOnHidden okButtonProps={{ 'data-testid': 'confirm-split' } as Record<`data-${string}`, string>}>
      <p>{t('scf.splitHint', { amount: formatMinor(total, scale, locale) })}</p>
      <Form form={form} layout="vertical" initialValues={{ parts: initial }} onFinish={finish}>
        <Form.List
          name="parts"
          rules={[{
            validator: async (_, parts: { amount?: string }[] | undefined) => {
              const amounts = (parts ?? []).map((part) => parseMajor(part?.amount ?? '', scale));
              if (amounts.length < 2) throw new Error(t('scf.splitAtLeastTwo'));
              if (amounts.every((amount) => amount !== null) && amounts.reduce((sum, amount) => sum + BigInt(amount as string), 0n) !== total) throw new Error(t('scf.splitMustAddUp'));
            },
          }]}
        >
          {(fields, { add, remove }, { errors }) => (
            <>
              {fields.map((field, index) => (
                <Space key={field.key} align="baseline">
                  <Form.Item
                    label={t('scf.part', { index: index + 1 })}
                    name={[field.name, 'amount']}
                    rules={[{ required: true, message: t('form.required') }, { validator: async (_, value: string) => { if (value && !parseMajor(value, scale)) throw new Error(t('payments.badAmount', { scale })); } }]}
                  >
                    <Input inputMode="decimal" />
                  </Form.Item>
                  {fields.length > 2 && <MinusCircleOutlined aria-label={t('scf.removePart')} role="button" tabIndex={0} onClick={() => remove(field.name)} />}
                </Space>
              ))}
              <Form.ErrorList errors={errors} />
              <Button type="dashed" onClick={() => add({ amount: '' })} icon={<PlusOutlined aria-hidden />}>
                {t('scf.addPart')}
              </Button>
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}

function ChoiceForm({ title, label, options, withRate, busy, onCancel, onSubmit }: {
  readonly title: string; readonly label: string; readonly options: readonly string[]; readonly withRate?: boolean; readonly busy: boolean;
  onCancel(): void; onSubmit(choice: string, rateBps?: number): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ choice: string; rate?: number }>();
  return (
    <Modal open title={title} onCancel={onCancel} onOk={() => form.submit()} okText={title} confirmLoading={busy} destroyOnHidden okButtonProps={{ 'data-testid': 'confirm-choice' } as Record<`data-${string}`, string>}>
      <Form form={form} layout="vertical" initialValues={{ choice: options[0], rate: 400 }} onFinish={(values) => onSubmit(values.choice, values.rate)}>
        <Form.Item label={label} name="choice" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={options.map((value) => ({ value, label: value }))} />
        </Form.Item>
        {withRate && (
          <Form.Item label={t('scf.rateBps')} name="rate" rules={[{ required: true, message: t('form.required') }]}>
            <NumberInput min={0} max={10_000} step={5} style={{ width: 160 }} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
