import { useContext, useImperativeHandle, useLayoutEffect, useRef, type Ref } from 'react';
import { ConfigProvider, InputNumber, type GetRef, type InputNumberProps } from 'antd';
import { useI18n } from '../app/i18n.tsx';

type InputNumberRef = GetRef<typeof InputNumber>;

/**
 * Ant Design's number input, with its step buttons named in the console's language. The buttons'
 * names ("Increase Value", "Decrease Value") are fixed English text in the input's own code
 * (@rc-component/input-number), which Ant Design's locale does not reach; they are renamed here
 * after each render. React leaves them alone afterwards, as the text it gave them never changes.
 */
export function NumberInput({ ref, ...props }: InputNumberProps<number> & { readonly ref?: Ref<InputNumberRef> }) {
  const { t } = useI18n();
  const { getPrefixCls } = useContext(ConfigProvider.ConfigContext);
  const input = useRef<InputNumberRef>(null);
  useImperativeHandle(ref, () => input.current as InputNumberRef, []);
  useLayoutEffect(() => {
    const root = input.current?.nativeElement;
    const action = `${getPrefixCls('input-number')}-action`;
    root?.querySelector(`.${action}-up`)?.setAttribute('aria-label', t('common.increaseValue'));
    root?.querySelector(`.${action}-down`)?.setAttribute('aria-label', t('common.decreaseValue'));
  });
  return <InputNumber<number> {...props} ref={input} />;
}
