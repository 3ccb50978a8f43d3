import { StrictMode } from 'react';
import { noteConsoleRunning } from './api/prefetch.ts';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from './app/i18n.tsx';
import { Root } from './app/Root.tsx';
import { matchRoute, preparePage } from './app/pages.ts';
import { currentRoute } from './app/router.ts';
import { currentKey } from './api/session.ts';
// Ant Design's prebuilt styles first, so the console's own rules follow them (see Root.tsx).
import 'antd/dist/antd.css';
import './styles.css';

noteConsoleRunning();
const element = document.getElementById('root');
if (!element) throw new Error('index.html has no #root element');
const root = createRoot(element);
const render = () =>
  root.render(
    <StrictMode>
      <I18nProvider>
        <Root />
      </I18nProvider>
    </StrictMode>,
  );
// The current page's modules run first, so that the first render draws it; a page that fails to
// start is left to the shell, which shows the failure as for any other page.
const page = currentKey() ? matchRoute(currentRoute().path)?.page : undefined;
if (page) preparePage(page).then(render, render);
else render();
