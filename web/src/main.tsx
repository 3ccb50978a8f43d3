import { StrictMode } from 'react';
import { noteConsoleRunning } from './api/prefetch.ts';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from './app/i18n.tsx';
import { Root } from './app/Root.tsx';
// Ant Design's prebuilt styles first, so the console's own rules follow them (see Root.tsx).
import 'antd/dist/antd.css';
import './styles.css';

noteConsoleRunning();
const element = document.getElementById('root');
if (!element) throw new Error('index.html has no #root element');
createRoot(element).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
