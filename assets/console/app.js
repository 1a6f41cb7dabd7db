// The Tyto console: a small single-page app over the JSON API. Each later area adds a view.

const $ = (id) => document.getElementById(id);

async function fetchJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  return { ok: res.ok, status: res.status, body };
}

function setStatus(el, text, good) {
  el.textContent = text;
  el.className = good ? 'good' : 'bad';
}

async function refresh() {
  try {
    const health = await fetchJson('/health');
    setStatus($('health-status'), health.ok ? health.body.status : `error ${health.status}`, health.ok);
    if (health.body && health.body.version) {
      $('health-version').textContent = health.body.version;
      $('server-version').textContent = `v${health.body.version}`;
    }
  } catch (err) {
    setStatus($('health-status'), 'unreachable', false);
  }
  try {
    const ready = await fetchJson('/ready');
    const checks = ready.ok ? ready.body.checks : (ready.body?.error?.details?.checks ?? {});
    setStatus($('ready-status'), ready.ok ? 'ready' : (ready.body?.error?.message ?? `error ${ready.status}`), ready.ok);
    const list = $('ready-checks');
    list.replaceChildren(...Object.entries(checks).map(([name, value]) => {
      const li = document.createElement('li');
      li.textContent = `${name}: ${value}`;
      return li;
    }));
  } catch (err) {
    setStatus($('ready-status'), 'unreachable', false);
  }
  $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

refresh();
setInterval(refresh, 5000);
