// Overview: the server's /health and /ready, refreshed every 5 seconds.

import { api, ApiError } from './api.js';
import { fromTemplate, h } from './dom.js';

function setStatus(el, text, good) {
  el.textContent = text;
  el.className = good ? 'good' : 'bad';
}

export function mountOverview(container) {
  const [root, refs] = fromTemplate('overview');
  container.append(root);

  async function refresh() {
    try {
      const health = await api('/health');
      setStatus(refs.healthStatus, health.status, true);
      if (health.version) refs.healthVersion.textContent = health.version;
    } catch (err) {
      setStatus(refs.healthStatus, err instanceof ApiError ? `error ${err.status}` : 'unreachable', false);
    }
    try {
      const ready = await api('/ready');
      setStatus(refs.readyStatus, 'ready', true);
      showChecks(ready.checks ?? {});
    } catch (err) {
      if (err instanceof ApiError) {
        setStatus(refs.readyStatus, err.message, false);
        showChecks(err.details.checks ?? {});
      } else {
        setStatus(refs.readyStatus, 'unreachable', false);
      }
    }
    refs.updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  function showChecks(checks) {
    refs.readyChecks.replaceChildren(...Object.entries(checks).map(([name, value]) => h('li', {}, `${name}: ${value}`)));
  }

  refresh();
  const timer = setInterval(refresh, 5000);
  return () => clearInterval(timer);
}

// The console imports this module when the page first opens (GET /api/v1/console/pages names it).
export { mountOverview as mount };
