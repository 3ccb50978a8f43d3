/**
 * The demo's people and firms: customers of the five demo banks, merchants that many customers pay,
 * a mule ring planted for the risk pages to find, and one customer whose name is on the demo watch
 * list. Every name is invented; any likeness to a real person is chance.
 */

export interface DemoCustomer {
  readonly id: string;
  readonly name: string;
  readonly kind: 'individual' | 'enterprise';
  readonly jurisdiction: string;
  /** Ledger id of the home currency (see LEDGERS in demo.ts). */
  readonly ledger: number;
  /** Device the customer usually pays from; mules share one. */
  readonly device: string;
}

const COUNTRIES = [
  { code: 'CN', ledger: 1, names: ['Li Na', '张伟', 'Chen Jing', 'Liu Yang', '王芳', 'Zhao Lei', 'Huang Min', 'Zhou Xin', 'Wu Hao', 'Xu Ting', 'Sun Qiang', 'Ma Lan'] },
  { code: 'HK', ledger: 2, names: ['Chan Ka Wai', 'Wong Siu Ming', 'Lee Hoi Yan', 'Cheung Tsz Ho', 'Lam Wing Sze', 'Ho Chun Kit'] },
  { code: 'SG', ledger: 3, names: ['Lim Boon Keng', 'Ng Hui Min', 'Rajesh Kumar', 'Siti Nurhaliza Binte Osman', 'Goh Wei Jie', 'Tan Li Ting'] },
  { code: 'TH', ledger: 4, names: ['Niran Chaiyaporn', 'Malee Srisuk', 'Anan Wongsakul', 'Pim Rattanakorn', 'Kittisak Boonmee', 'Nattaya Suksan'] },
  { code: 'AE', ledger: 5, names: ['Omar Al Mansoori', 'Aisha Al Hammadi', 'Khalid Bin Rashid', 'Mariam Al Suwaidi', 'Yousef Al Ketbi', 'Noura Al Falasi'] },
] as const;

/** Everyday merchants per country: where most of a customer's payments go. */
const MERCHANTS_BY_COUNTRY: Readonly<Record<string, readonly string[]>> = {
  CN: ['Sunrise Fresh Mart', 'Jiangnan Power Supply', 'Lotus Pharmacy', 'Red Lantern Noodle House', 'Pearl River Telecom', 'Metro Card Shanghai'],
  HK: ['Victoria Harbour Telecom', 'Kowloon Fresh Market', 'Star Ferry Octopus Top-up', 'Peak Tram Cafe', 'Harbour Light Pharmacy', 'Tsim Sha Tsui Bookshop'],
  SG: ['Lion City Transit Card', 'Merlion Grocers', 'Orchard Road Pharmacy', 'Hawker Centre Collective', 'Straits Power', 'Sentosa Mobile'],
  TH: ['Chatuchak Online Market', 'Bangkok Metro Card', 'Siam Fresh Foods', 'Chao Phraya Electric', 'Sukhumvit Pharmacy', 'Lanna Noodle Bar'],
  AE: ['Desert Bloom Utilities', 'Marina Hypermarket', 'Creek Side Pharmacy', 'Dhow Harbour Telecom', 'Falcon Metro Card', 'Oasis Date Cafe'],
};

const MERCHANTS = COUNTRIES.flatMap((country) =>
  (MERCHANTS_BY_COUNTRY[country.code] ?? []).map((name, index) => ({ id: `merch-${country.code.toLowerCase()}-${index + 1}`, name, jurisdiction: country.code, ledger: country.ledger })),
);

/**
 * The planted ring, all in CNY: a collector takes many small deposits from the "victims" below and
 * passes the money round four more accounts within hours, each keeping a small cut, before it
 * comes back to the collector. They log in from one device.
 */
export const MULE_RING = ['Gao Peng', 'Fang Rui', 'Deng Kai', 'Yin Jun', 'Qiao Bo'] as const;
export const MULE_DEVICE = 'device-7f3a-shared';

/** On the demo watch list (see DEMO_WATCH_LIST in demo.ts); onboarding screening flags it. */
export const SANCTIONED_CUSTOMER = { id: 'cust-ae-drozdov', name: 'Viktor P. Drozdov', jurisdiction: 'AE', ledger: 5 } as const;

export function demoCustomers(): DemoCustomer[] {
  const customers: DemoCustomer[] = [];
  for (const country of COUNTRIES) {
    country.names.forEach((name, index) => {
      customers.push({ id: `cust-${country.code.toLowerCase()}-${index + 1}`, name, kind: 'individual', jurisdiction: country.code, ledger: country.ledger, device: `device-${country.code.toLowerCase()}-${index + 1}` });
    });
  }
  for (const merchant of MERCHANTS) customers.push({ ...merchant, kind: 'enterprise', device: `device-${merchant.id}` });
  MULE_RING.forEach((name, index) => customers.push({ id: `cust-cn-mule-${index + 1}`, name, kind: 'individual', jurisdiction: 'CN', ledger: 1, device: MULE_DEVICE }));
  customers.push({ ...SANCTIONED_CUSTOMER, kind: 'individual', device: 'device-ae-drozdov' });
  return customers;
}

export const isMerchant = (customer: DemoCustomer) => customer.id.startsWith('merch-');
export const isMule = (customer: DemoCustomer) => customer.id.startsWith('cust-cn-mule-');
