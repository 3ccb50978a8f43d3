import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from './app/i18n.tsx';
import { Root } from './app/Root.tsx';
import './styles.css';

const element = document.getElementById('root');
if (!element) throw new Error('index.html has no #root element');
createRoot(element).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
