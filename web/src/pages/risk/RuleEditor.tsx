import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Col, Form, Input, Row, Select, Space, Typography } from 'antd';
import { CheckCircleTwoTone, CloseCircleTwoTone, MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { callAction } from '../../api/act.ts';
import { ACTIONS, actionLabels } from '../../api/actions.ts';
import { ApiError } from '../../api/client.ts';
import type { Rule, Ruleset, ValidationAnswer } from '../../api/risk.ts';
import { useI18n } from '../../app/i18n.tsx';
import { NumberInput } from '../../components/NumberInput.tsx';
import { Loadable } from '../../components/States.tsx';
import { useApi } from '../../lib/useApi.ts';
import { problemTextUnderField } from '../../lib/problems.ts';
import { useProblemText } from '../../lib/useProblems.ts';

/** An expression is checked this long after the last keystroke, not on every one. */
const VALIDATE_DEBOUNCE_MS = 500;

interface RuleFields {
  id: string;
  name: string;
  expression: string;
  effect: 'score' | 'force';
  points?: number;
  outcome?: string;
  reason: string;
}

interface DraftFields {
  name: string;
  review_at: number;
  decline_at: number;
  rules: RuleFields[];
}

const EXAMPLE_RULE: RuleFields = {
  id: 'large_amount', name: 'Large amount', expression: 'event.amount > 5000000', effect: 'score', points: 40, reason: 'amount above 50,000.00',
};

function fieldsOf(rule: Rule): RuleFields {
  const forced = rule.outcome ?? (rule.effect?.kind === 'force' ? rule.effect.outcome : undefined);
  const points = rule.score ?? rule.effect?.points ?? 0;
  return { id: rule.id, name: rule.name, expression: rule.expression, effect: forced ? 'force' : 'score', points, outcome: forced ?? 'review', reason: rule.reason };
}

/** The request body of a draft: each rule adds points (`score`) or forces an outcome (`outcome`). */
function bodyOf(fields: DraftFields) {
  return {
    name: fields.name,
    thresholds: { review_at: fields.review_at, decline_at: fields.decline_at },
    rules: fields.rules.map((rule) => ({
      id: rule.id, name: rule.name, expression: rule.expression, reason: rule.reason,
      ...(rule.effect === 'force' ? { outcome: rule.outcome } : { score: rule.points ?? 0 }),
    })),
  };
}

type EditorEvents = { readonly onCreated: (ruleset: Ruleset) => void; readonly onCancel: () => void };

/**
 * A new draft, starting from the ruleset `baseId` or, when it is null, from an example rule. The
 * ruleset is read in full first: the list of versions holds only their summaries, without rules.
 */
export function NewDraft({ baseId, ...events }: { readonly baseId: string | null } & EditorEvents) {
  const base = useApi<Ruleset>(baseId === null ? null : `/v1/risk/rulesets/${encodeURIComponent(baseId)}`);
  if (baseId === null) return <RuleEditor base={null} {...events} />;
  return <Loadable loaded={base}>{(ruleset) => <RuleEditor base={ruleset} {...events} />}</Loadable>;
}

/** Writes a new draft version, starting from an existing ruleset or from an example rule. */
function RuleEditor({ base, onCreated, onCancel }: { readonly base: Ruleset | null } & EditorEvents) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<DraftFields>();
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  // A refusal names the field at fault by its label; one inside a rule (`/rules/3/expression`) says which rule.
  const describe = useProblemText();
  const failureText = (error: ApiError) => describe(error, actionLabels(t, ACTIONS.createRuleset));
  const initial: DraftFields = base
    ? { name: base.name, review_at: base.thresholds.review_at, decline_at: base.thresholds.decline_at, rules: base.rules.map(fieldsOf) }
    : { name: 'New ruleset', review_at: 50, decline_at: 80, rules: [EXAMPLE_RULE] };

  const save = async (fields: DraftFields) => {
    setSaving(true);
    setFailure(null);
    try {
      const created = await callAction<Ruleset>(ACTIONS.createRuleset, { body: bodyOf(fields) });
      void message.success(t('rules.draftSaved', { version: created.version }));
      onCreated(created);
    } catch (error) {
      setFailure(error instanceof ApiError ? error : null);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card title={base ? t('rules.newVersionOf', { name: base.name, version: base.version }) : t('rules.newDraft')}>
      <Form<DraftFields> form={form} layout="vertical" initialValues={initial} onFinish={save} data-testid="rule-editor">
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item label={t('rules.name')} name="name" rules={[{ required: true, message: t('form.required') }]}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={12} md={6}>
            <Form.Item label={t('rules.reviewAt')} name="review_at" rules={[{ required: true, message: t('form.required') }]}>
              <NumberInput min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} md={6}>
            <Form.Item label={t('rules.declineAt')} name="decline_at" rules={[{ required: true, message: t('form.required') }]}>
              <NumberInput min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.List name="rules">
          {(fields, { add, remove }) => (
            <Space orientation="vertical" style={{ width: '100%' }}>
              {fields.map((field, index) => (
                <Card key={field.key} size="small" title={t('rules.ruleNumber', { index: index + 1 })} extra={<Button size="small" icon={<MinusCircleOutlined aria-hidden />} onClick={() => remove(field.name)} aria-label={t('rules.removeRule')} />}>
                  <Row gutter={12}>
                    <Col xs={24} md={8}>
                      <Form.Item label={t('rules.id')} name={[field.name, 'id']} rules={[{ required: true, message: t('form.required') }, { pattern: /^[a-z0-9_.-]{1,64}$/, message: t('rules.badId') }]}>
                        <Input className="mono" />
                      </Form.Item>
                    </Col>
                    <Col xs={24} md={16}>
                      <Form.Item label={t('rules.ruleName')} name={[field.name, 'name']} rules={[{ required: true, message: t('form.required') }]}>
                        <Input />
                      </Form.Item>
                    </Col>
                  </Row>
                  <ExpressionField name={field.name} />
                  <Row gutter={12}>
                    <Col xs={12} md={6}>
                      <Form.Item label={t('rules.effect')} name={[field.name, 'effect']}>
                        <Select options={[{ value: 'score', label: t('rules.effectScore') }, { value: 'force', label: t('rules.effectForce') }]} />
                      </Form.Item>
                    </Col>
                    <Col xs={12} md={6}>
                      <Form.Item noStyle shouldUpdate>
                        {({ getFieldValue }) =>
                          getFieldValue(['rules', field.name, 'effect']) === 'force' ? (
                            <Form.Item label={t('rules.forces')} name={[field.name, 'outcome']}>
                              <Select options={['approve', 'review', 'decline'].map((value) => ({ value, label: t(`risk.outcomeName.${value as 'review'}`) }))} />
                            </Form.Item>
                          ) : (
                            <Form.Item label={t('rules.points')} name={[field.name, 'points']}>
                              <NumberInput min={0} max={1000} style={{ width: '100%' }} />
                            </Form.Item>
                          )
                        }
                      </Form.Item>
                    </Col>
                    <Col xs={24} md={12}>
                      <Form.Item label={t('rules.reason')} name={[field.name, 'reason']} rules={[{ required: true, message: t('form.required') }]}>
                        <Input />
                      </Form.Item>
                    </Col>
                  </Row>
                </Card>
              ))}
              <Button type="dashed" icon={<PlusOutlined aria-hidden />} onClick={() => add({ ...EXAMPLE_RULE, id: `rule_${fields.length + 1}` })}>
                {t('rules.addRule')}
              </Button>
            </Space>
          )}
        </Form.List>
        {failure && <Alert style={{ marginTop: 16 }} type="error" showIcon title={t('state.failed')} description={failureText(failure)} />}
        <Space style={{ marginTop: 16 }}>
          <Button type="primary" htmlType="submit" loading={saving}>{t('rules.saveDraft')}</Button>
          <Button onClick={onCancel}>{t('common.cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}

/** A CEL expression with the server's verdict under it: compiled, type-checked and probed. */
function ExpressionField({ name }: { readonly name: number }) {
  const { t, locale } = useI18n();
  const form = Form.useFormInstance<DraftFields>();
  const expression = Form.useWatch(['rules', name, 'expression'], form) as string | undefined;
  const [verdict, setVerdict] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    if (!expression?.trim()) return setVerdict(null);
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      callAction<ValidationAnswer>(ACTIONS.validateExpression, { body: { expression }, signal: controller.signal }).then(
        (answer) => {
          const ok = answer.valid ?? answer.ok ?? true;
          const first = answer.errors?.[0];
          const why = typeof first === 'string' ? first : first?.message ?? first?.detail ?? answer.detail ?? '';
          setVerdict({ ok, text: ok ? t('rules.valid', { type: answer.type ?? 'bool' }) : why });
        },
        // Said under the expression it is about, in the reader's language.
        (error: unknown) => !controller.signal.aborted && setVerdict({ ok: false, text: problemTextUnderField(t, locale, error) }),
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [expression, t, locale]);
  return (
    <Form.Item label={t('rules.expression')} name={[name, 'expression']} rules={[{ required: true, message: t('form.required') }]} extra={verdict && (
      <Typography.Text type={verdict.ok ? 'success' : 'danger'} data-testid="expression-verdict">
        {verdict.ok ? <CheckCircleTwoTone twoToneColor="#52c41a" /> : <CloseCircleTwoTone twoToneColor="#ff4d4f" />} {verdict.text}
      </Typography.Text>
    )}>
      <Input.TextArea className="mono" autoSize={{ minRows: 2, maxRows: 8 }} spellCheck={false} />
    </Form.Item>
  );
}
