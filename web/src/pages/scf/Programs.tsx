import { Card, Col, Empty, Progress, Row, Statistic, Typography } from 'antd';
import type { Page } from '../../api/client.ts';
import type { ScfProgram } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { href } from '../../app/router.ts';
import { programPath } from '../../components/Ids.tsx';
import { Money } from '../../components/Money.tsx';
import { Loadable } from '../../components/States.tsx';
import { useLedgers } from '../../lib/ledgers.ts';
import { useApi } from '../../lib/useApi.ts';

/** Supply-chain finance programs: who is in them and how much of the credit limit is used. */
export default function Programs() {
  const { t } = useI18n();
  const ledgers = useLedgers();
  const programs = useApi<Page<ScfProgram>>('/v1/scf/programs?limit=100');
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('scf.programs')}
      </Typography.Title>
      <Loadable loaded={programs}>
        {(page) => page.data.length === 0 ? (
          // Programs are set up through the API; without one the page would be only its title.
          <Empty data-testid="no-programs" description={t('scf.noPrograms')} />
        ) : (
          <Row gutter={[16, 16]}>
            {page.data.map((program) => {
              const currency = ledgers.currencyOf(program.ledger);
              const scale = ledgers.scaleOf(program.ledger);
              const used = Number((BigInt(program.outstanding) * 1000n) / (BigInt(program.credit_limit) || 1n)) / 10;
              return (
                <Col xs={24} lg={12} key={program.id}>
                  <Card title={<a href={href(programPath(program.id))}>{program.name}</a>} extra={<span className="mono">{program.id}</span>}>
                    <Row gutter={16}>
                      <Col span={12}><Statistic title={t('scf.outstanding')} valueRender={() => <Money amount={program.outstanding} currency={currency} scale={scale} />} /></Col>
                      <Col span={12}><Statistic title={t('scf.creditLimit')} valueRender={() => <Money amount={program.credit_limit} currency={currency} scale={scale} />} /></Col>
                    </Row>
                    <Progress percent={used} aria-label={t('scf.limitUsed')} style={{ marginTop: 12 }} />
                    <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                      {t('scf.members', { core: program.core_enterprise_id, banks: program.funding_bank_ids.length, suppliers: program.supplier_ids.length })}
                    </Typography.Paragraph>
                  </Card>
                </Col>
              );
            })}
          </Row>
        )}
      </Loadable>
    </>
  );
}
