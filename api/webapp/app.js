// picpipe's upload page: plain JavaScript, no build step, nothing loaded
// from other hosts. It calls the API of its own origin with the API key
// the user pastes, which it keeps in sessionStorage (this tab only).
'use strict';

const KEY_STORE = 'picpipe.key';
const PARALLEL = 3; // uploads at once
const RECENT = 24; // images in the recent list

const $ = (sel, root = document) => root.querySelector(sel);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let apiKey = '';

// ---- the API ---------------------------------------------------------

// api calls the API with the key and resolves to {status, body}, body
// being the parsed JSON answer (null when there is none).
async function api(method, path) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: 'Bearer ' + apiKey },
    cache: 'no-store',
  });
  return { status: res.status, body: parseJSON(await res.text()) };
}

function parseJSON(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// errorText is what an error answer says: its message and code.
function errorText(body, status) {
  if (body && body.error && body.error.message) {
    return body.error.message + (body.error.code ? ' (' + body.error.code + ')' : '');
  }
  return 'the server answered HTTP ' + status;
}

// ---- formatting ------------------------------------------------------

function fmtBytes(n) {
  if (n == null) return '—';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  if (n < 1024 * 1024 * 1024) return (n / 1024 / 1024).toFixed(1) + ' MB';
  return (n / 1024 / 1024 / 1024).toFixed(2) + ' GB';
}

// saving says how much smaller size is than original.
function saving(size, original) {
  if (!original || size == null) return '';
  const pct = Math.round((1 - size / original) * 100);
  return pct >= 0 ? ' (−' + pct + '%)' : ' (+' + -pct + '%)';
}

const isLink = (u) => typeof u === 'string' && /^https?:\/\//.test(u);

// ---- one image in a list ---------------------------------------------

// Item is one row of the uploads or the recent list.
class Item {
  constructor(name) {
    this.li = $('#item-template').content.firstElementChild.cloneNode(true);
    this.$ = (sel) => $(sel, this.li);
    this.$('.name').textContent = name;
    this.shown = '';
    this.$('.copy').addEventListener('click', () => this.copy());
  }

  status(status, text) {
    this.li.dataset.status = status;
    this.$('.state').textContent = text;
  }

  progress(fraction) {
    this.$('.progress').value = Math.round(fraction * 100);
    this.status('uploading', 'uploading ' + Math.round(fraction * 100) + '%');
  }

  fail(message) {
    this.status('failed', 'refused');
    const e = this.$('.error');
    e.textContent = message;
    e.hidden = false;
  }

  // show renders the Image resource img.
  show(img) {
    this.id = img.id;
    this.li.dataset.id = img.id;
    if (img.filename) this.$('.name').textContent = img.filename;
    switch (img.status) {
      case 'ready':
        this.status('ready', 'ready');
        this.$('.progress').value = 100;
        this.ready(img);
        break;
      case 'failed':
        this.fail(img.error ? img.error.message + ' (' + img.error.code + ')' : 'failed');
        break;
      default:
        this.$('.progress').removeAttribute('value'); // indeterminate while the worker runs
        this.status(img.status, img.status + '…');
    }
  }

  ready(img) {
    if (isLink(img.url) && this.shown !== img.url) {
      this.shown = img.url;
      const p = this.$('.preview');
      p.src = img.url;
      p.alt = img.filename || img.id;
      p.hidden = false;
      this.$('.url').value = img.url;
      this.$('.open').href = img.url;
      this.$('.link').hidden = false;
    }
    this.$('.size-original').textContent = fmtBytes(img.size_original);
    this.$('.size-webp').previousElementSibling.textContent = img.format === 'gif' ? 'GIF' : 'WebP';
    this.$('.size-webp').textContent = fmtBytes(img.size_optimized) + saving(img.size_optimized, img.size_original);
    const avif = img.variants && img.variants.avif;
    const a = this.$('.size-avif');
    a.hidden = a.previousElementSibling.hidden = !avif;
    if (avif) {
      a.textContent = avif.status === 'ready' ? fmtBytes(avif.size) + saving(avif.size, img.size_original)
        : avif.status === 'skipped' ? 'no smaller: the WebP is served'
          : avif.status === 'failed' ? 'not made' : 'making…';
      a.dataset.status = avif.status;
    }
    this.$('.sizes').hidden = false;
  }

  async copy() {
    const b = this.$('.copy');
    const url = this.$('.url').value;
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      this.$('.url').select(); // the clipboard API needs a secure context: copy the selection
      document.execCommand('copy');
    }
    b.textContent = 'Copied';
    setTimeout(() => (b.textContent = 'Copy link'), 1500);
  }

  // deletable shows the delete button: a first click arms it, a second
  // within three seconds deletes.
  deletable() {
    const b = this.$('.delete');
    b.hidden = false;
    b.addEventListener('click', async () => {
      if (!b.classList.contains('armed')) {
        b.classList.add('armed');
        b.textContent = 'Really delete?';
        setTimeout(() => { b.classList.remove('armed'); b.textContent = 'Delete'; }, 3000);
        return;
      }
      b.disabled = true;
      const r = await api('DELETE', '/v1/images/' + encodeURIComponent(this.id));
      if (r.status === 204 || r.status === 404) {
        this.li.remove();
        document.querySelectorAll('#uploads .item[data-id="' + CSS.escape(this.id) + '"]').forEach((li) => li.remove());
        refreshSoon();
      } else {
        b.disabled = false;
        this.fail('not deleted: ' + errorText(r.body, r.status));
      }
    });
  }
}

// ---- uploads ---------------------------------------------------------

const queue = [];
let active = 0;

// addFiles queues files for upload, each with its row.
function addFiles(files) {
  for (const file of Array.from(files)) {
    const item = new Item(file.name);
    item.status('waiting', 'waiting');
    $('#uploads').append(item.li);
    queue.push({ file, item });
  }
  pump();
}

function pump() {
  while (active < PARALLEL && queue.length) {
    const job = queue.shift();
    active++;
    upload(job).finally(() => {
      active--;
      pump();
    });
  }
}

// upload sends one file (XMLHttpRequest, for its upload progress) and
// then follows the image until it is final.
function upload({ file, item }) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/images');
    xhr.setRequestHeader('Authorization', 'Bearer ' + apiKey);
    xhr.setRequestHeader('Prefer', 'respond-async');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) item.progress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      const body = parseJSON(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300 && body && body.id) {
        item.show(body);
        follow(body, item);
      } else {
        item.fail(errorText(body, xhr.status));
      }
      resolve();
    });
    xhr.addEventListener('error', () => {
      item.fail('the upload did not reach the server');
      resolve();
    });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

// follow polls the image until it is ready with its AVIF final, or failed.
async function follow(img, item) {
  const started = Date.now();
  let delay = 250;
  while (!done(img)) {
    if (Date.now() - started > 10 * 60 * 1000) return; // the recent list will tell
    await sleep(delay);
    delay = Math.min(delay * 1.5, 2000);
    let r;
    try {
      r = await api('GET', '/v1/images/' + encodeURIComponent(img.id));
    } catch {
      continue; // a network hiccup: ask again
    }
    if (r.status !== 200) {
      item.fail(errorText(r.body, r.status));
      return;
    }
    img = r.body;
    item.show(img);
  }
  refreshSoon();
}

function done(img) {
  if (img.status === 'failed') return true;
  if (img.status !== 'ready') return false;
  const avif = img.variants && img.variants.avif;
  return !avif || ['ready', 'skipped', 'failed'].includes(avif.status);
}

// ---- usage and recent images -----------------------------------------

function setMeter(meter, text, used, quota, fmt) {
  if (quota > 0) {
    meter.hidden = false;
    meter.max = quota;
    meter.low = quota * 0.7;
    meter.high = quota * 0.9;
    meter.optimum = 0;
    meter.value = used;
    text.textContent = fmt(used) + ' of ' + fmt(quota);
  } else {
    meter.hidden = true;
    text.textContent = fmt(used) + ' (no limit)';
  }
}

function renderUsage(u) {
  $('#usage-plan').textContent = 'plan ' + u.plan + ' · ' + u.period;
  setMeter($('#images-meter'), $('#images-text'), u.image_count, u.image_quota, String);
  setMeter($('#storage-meter'), $('#storage-text'), u.storage_used_bytes, u.storage_quota_bytes, fmtBytes);
  $('#month-text').textContent = u.transform_count + ' processed · ' +
    (u.api_calls == null ? '—' : u.api_calls) + ' API calls · files up to ' + fmtBytes(u.max_upload_bytes);
}

async function loadUsage() {
  const r = await api('GET', '/v1/usage');
  if (r.status === 200) renderUsage(r.body);
}

async function loadRecent() {
  const r = await api('GET', '/v1/images?limit=' + RECENT);
  if (r.status !== 200) return;
  const list = $('#recent');
  list.replaceChildren();
  for (const img of r.body.data) {
    const item = new Item(img.filename || img.id);
    item.show(img);
    item.deletable();
    list.append(item.li);
  }
  $('#recent-empty').hidden = r.body.data.length > 0;
}

let refreshTimer = 0;

// refreshSoon reloads the usage and the recent list once things settle.
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { loadUsage(); loadRecent(); }, 300);
}

// ---- the key ---------------------------------------------------------

function signedIn(on) {
  for (const id of ['#usage-section', '#upload-section', '#recent-section']) $(id).hidden = !on;
  $('#forget-key').hidden = !on;
}

function keyStatus(text, cls) {
  const s = $('#key-status');
  s.textContent = text;
  s.className = 'status ' + (cls || '');
}

// useKey checks key against /v1/usage and, when it works, keeps it for
// this tab.
async function useKey(key) {
  apiKey = key;
  keyStatus('checking the key…');
  let r;
  try {
    r = await api('GET', '/v1/usage');
  } catch {
    keyStatus('the server does not answer', 'bad');
    return;
  }
  if (r.status !== 200) {
    apiKey = '';
    sessionStorage.removeItem(KEY_STORE);
    signedIn(false);
    keyStatus('This key does not work: ' + errorText(r.body, r.status), 'bad');
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $('#key').value = '';
  keyStatus('Using the key ' + key.slice(0, 12) + '… for this tab.', 'ok');
  signedIn(true);
  renderUsage(r.body);
  loadRecent();
}

function forgetKey() {
  apiKey = '';
  sessionStorage.removeItem(KEY_STORE);
  signedIn(false);
  $('#uploads').replaceChildren();
  $('#recent').replaceChildren();
  keyStatus('Key forgotten.');
}

// ---- wiring ----------------------------------------------------------

function wire() {
  $('#key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('#key').value.trim();
    if (key) useKey(key);
  });
  $('#forget-key').addEventListener('click', forgetKey);
  $('#refresh').addEventListener('click', () => { loadUsage(); loadRecent(); });

  const drop = $('#drop');
  const input = $('#files');
  for (const t of ['dragenter', 'dragover']) {
    drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const t of ['dragleave', 'drop']) drop.addEventListener(t, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
  });
  drop.addEventListener('click', (e) => { if (e.target === drop) input.click(); });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); }
  });
  input.addEventListener('change', () => {
    addFiles(Array.from(input.files));
    input.value = '';
  });
  // A file dropped beside the zone is not opened by the browser instead.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => e.preventDefault());

  const saved = sessionStorage.getItem(KEY_STORE);
  if (saved) useKey(saved);
}

wire();
