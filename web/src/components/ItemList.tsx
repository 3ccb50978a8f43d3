import type { ReactNode } from 'react';
import { Typography } from 'antd';

/**
 * A plain list of items with an optional title and description each: what the console needs of a
 * list, as semantic <ul>/<li> so screen readers announce the count.
 */
export function ItemList<T>({ items, render, empty }: {
  readonly items: readonly T[];
  readonly render: (item: T, index: number) => { readonly key: string | number; readonly title?: ReactNode; readonly description?: ReactNode; readonly content?: ReactNode };
  readonly empty?: ReactNode;
}) {
  if (items.length === 0) return empty ? <Typography.Text type="secondary">{empty}</Typography.Text> : null;
  return (
    <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
      {items.map((item, index) => {
        const shown = render(item, index);
        return (
          <li key={shown.key} style={{ padding: '8px 0', borderBottom: index < items.length - 1 ? '1px solid rgba(5, 5, 5, 0.06)' : undefined }}>
            {shown.title !== undefined && <div style={{ fontWeight: 500 }}>{shown.title}</div>}
            {shown.description !== undefined && <Typography.Text type="secondary">{shown.description}</Typography.Text>}
            {shown.content}
          </li>
        );
      })}
    </ul>
  );
}
