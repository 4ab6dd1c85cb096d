/*
 * The viewer of a promptrail eval report (prompts eval --format html, prompts report html).
 * Runs from file:// with no network: the data is the JSON of the element #report-data, and
 * every string from it is put in the page with textContent / createTextNode, never as markup.
 * The case table is paged, so 10,000 cases open and filter at once. The word diff uses the
 * `diff` package (jsdiff), inlined next to this script as window.Diff.
 */
(function () {
  'use strict';

  var PAGE = 100;
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var reports = data.reports;

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === 'text') e.textContent = String(v);
        else if (k === 'class') e.className = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    if (children) for (var i = 0; i < children.length; i++) if (children[i] != null) e.appendChild(typeof children[i] === 'string' ? document.createTextNode(children[i]) : children[i]);
    return e;
  }
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pct(x) {
    return (x * 100).toFixed(1) + '%';
  }
  function ms(x) {
    if (x === null || x === undefined) return '-';
    return x >= 1000 ? (x / 1000).toFixed(2) + 's' : Math.round(x) + 'ms';
  }
  function usd(c) {
    if (c === null || c === undefined) return '-';
    if (c === 0) return '$0';
    return c < 0.01 ? '$' + c.toFixed(6) : '$' + c.toFixed(4);
  }
  function statusOf(r) {
    return r.error !== null ? 'error' : r.pass ? 'pass' : 'fail';
  }
  function versionKey(r) {
    return r.prompt + '@' + r.version;
  }
  function providerKey(r) {
    return r.provider + '/' + r.model;
  }
  function nearestRank(sorted, p) {
    if (!sorted.length) return null;
    return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
  }

  // ------------------------------------------------------------------ model
  // columns: one per provider/model seen; rows: one per (prompt version, case)
  var columns = [];
  var columnIndex = {};
  var versions = [];
  var versionSeen = {};
  reports.forEach(function (r) {
    var pk = providerKey(r);
    if (!(pk in columnIndex)) {
      columnIndex[pk] = columns.length;
      columns.push(pk);
    }
    var vk = versionKey(r);
    if (!versionSeen[vk]) {
      versionSeen[vk] = true;
      versions.push(vk);
    }
  });
  var rows = [];
  var rowIndex = {};
  reports.forEach(function (r, ri) {
    var vk = versionKey(r);
    var col = columnIndex[providerKey(r)];
    r.results.forEach(function (res) {
      var key = vk + '\u0000' + res.name;
      var row = rowIndex[key];
      if (!row) {
        row = { version: vk, name: res.name, cells: new Array(columns.length), failed: false, regressed: false, changed: false, search: null };
        rowIndex[key] = row;
        rows.push(row);
      }
      row.cells[col] = { report: ri, result: res };
      if (!res.pass) row.failed = true;
      if (res.change === 'regression') row.regressed = true;
      var outputChanged = res.baseline !== undefined && res.baseline.output !== res.output;
      if (res.change === 'regression' || res.change === 'improvement' || res.change === 'new' || outputChanged) row.changed = true;
    });
  });
  function searchText(row) {
    if (row.search === null) {
      var parts = [row.name, row.version];
      row.cells.forEach(function (c) {
        if (!c) return;
        if (c.result.output) parts.push(c.result.output);
        if (c.result.error) parts.push(c.result.error);
      });
      row.search = parts.join('\n').toLowerCase();
    }
    return row.search;
  }

  // ------------------------------------------------------------------ summary
  var app = document.getElementById('app');
  var title = data.title || 'promptrail eval report';
  document.title = title;

  function summary() {
    var cases = 0, passed = 0, regressions = 0, improvements = 0, newCases = 0, removed = 0, cost = 0, costKnown = true, lat = [];
    reports.forEach(function (r) {
      cases += r.cases;
      passed += r.passed;
      regressions += r.regressions.length;
      improvements += r.improvements.length;
      removed += (r.removed || []).length;
      if (r.cost_usd === null) costKnown = false;
      else cost += r.cost_usd;
      r.results.forEach(function (x) {
        if (x.change === 'new' && r.baseline) newCases++;
        (x.repeats || [x]).forEach(function (run) {
          if (run.error === null) lat.push(run.latency_ms);
        });
      });
    });
    lat.sort(function (a, b) {
      return a - b;
    });
    var ok = reports.every(function (r) {
      return r.ok;
    });
    var header = el('header', { class: 'top' }, [
      el('h1', { text: title }),
      el('p', { class: 'meta', text: 'generated ' + data.generated_at + (data.base ? ' · changed since ' + data.base.rev + ' (' + data.base.commit.slice(0, 12) + ')' : '') + ' · ' + reports.length + ' report' + (reports.length === 1 ? '' : 's') }),
    ]);
    var verdict = el('div', { class: 'verdict ' + (ok ? 'ok' : 'bad'), id: 'verdict', text: ok ? 'PASSED' : 'FAILED' });
    function card(label, value, cls, id) {
      return el('div', { class: 'card' + (cls ? ' ' + cls : ''), id: id }, [el('div', { class: 'value', text: value }), el('div', { class: 'label', text: label })]);
    }
    var cards = el('div', { class: 'cards' }, [
      verdict,
      card('pass rate (' + passed + '/' + cases + ')', cases ? pct(passed / cases) : '-', null, 'card-pass-rate'),
      card('regressions', String(regressions), regressions ? 'bad' : null, 'card-regressions'),
      card('improvements', String(improvements), improvements ? 'good' : null, 'card-improvements'),
      card('new / removed cases', newCases + ' / ' + removed, null, 'card-new-removed'),
      card('cost', costKnown ? usd(cost) : '-', null, 'card-cost'),
      card('latency p50 / p95', ms(nearestRank(lat, 50)) + ' / ' + ms(nearestRank(lat, 95)), null, 'card-latency'),
    ]);
    var banners = [];
    reports.forEach(function (r) {
      var who = versionKey(r) + ' on ' + providerKey(r) + ': ';
      if (r.budget_exhausted) banners.push(el('div', { class: 'banner bad', text: who + 'budget exhausted (--max-cost $' + r.max_cost_usd + '): cases after it did not run' }));
      else if (r.stopped) banners.push(el('div', { class: 'banner bad', text: who + 'stopped: ' + r.stopped }));
      if (r.interrupted) banners.push(el('div', { class: 'banner warn', text: who + 'interrupted: partial results' }));
      if (r.shard) banners.push(el('div', { class: 'banner warn', text: who + 'shard ' + r.shard.index + '/' + r.shard.count + ' only (' + r.cases + ' of ' + r.shard.total + ' cases)' }));
    });
    (data.skipped || []).forEach(function (s) {
      banners.push(el('div', { class: 'banner', text: 'skipped ' + s.prompt + ': ' + s.reason }));
    });
    return el('section', null, [header, cards].concat(banners));
  }

  // ------------------------------------------------------------------ chart (inline SVG)
  function chart() {
    var bars = [];
    reports.forEach(function (r) {
      if (r.baseline) bars.push({ label: r.prompt + '@' + r.baseline.version + ' · ' + providerKey(r) + ' (baseline)', rate: r.baseline.pass_rate, base: true });
      bars.push({ label: versionKey(r) + ' · ' + providerKey(r), rate: r.pass_rate, ok: r.ok });
    });
    var MAX = 60;
    var shown = bars.slice(0, MAX);
    var rowH = 22, labelW = 360, barW = 420, pad = 8;
    var height = shown.length * rowH + pad * 2 + 18;
    var s = svg('svg', { width: labelW + barW + 70, height: height, viewBox: '0 0 ' + (labelW + barW + 70) + ' ' + height, role: 'img', 'aria-label': 'pass rate per version and provider', id: 'chart' });
    s.appendChild(svg('title', {}, 'pass rate per version and provider'));
    [0, 0.5, 1].forEach(function (t) {
      var x = labelW + t * barW;
      s.appendChild(svg('line', { x1: x, x2: x, y1: pad, y2: height - 18, class: 'grid' }));
      s.appendChild(svg('text', { x: x, y: height - 4, 'text-anchor': 'middle', class: 'axis' }, pct(t)));
    });
    shown.forEach(function (b, i) {
      var y = pad + i * rowH;
      var label = b.label.length > 58 ? b.label.slice(0, 57) + '…' : b.label;
      s.appendChild(svg('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end', class: 'bar-label' }, label));
      s.appendChild(svg('rect', { x: labelW, y: y + 3, width: barW, height: rowH - 6, class: 'bar-bg' }));
      s.appendChild(svg('rect', { x: labelW, y: y + 3, width: Math.max(0, b.rate) * barW, height: rowH - 6, class: 'bar ' + (b.base ? 'bar-base' : b.ok ? 'bar-ok' : 'bar-bad') }));
      s.appendChild(svg('text', { x: labelW + barW + 6, y: y + 15, class: 'bar-value' }, pct(b.rate)));
    });
    var wrap = el('section', { class: 'panel' }, [el('h2', { text: 'Pass rate per version and provider' }), s]);
    if (bars.length > MAX) wrap.appendChild(el('p', { class: 'meta', text: '…and ' + (bars.length - MAX) + ' more (see the table below)' }));
    return wrap;
  }

  // ------------------------------------------------------------------ reports table
  function reportsTable() {
    var head = el('tr', null, ['status', 'prompt', 'provider / model', 'passed', 'pass rate', 'vs baseline', 'regressions', 'cost', 'p50 / p95', 'runs'].map(function (h) {
      return el('th', { text: h });
    }));
    var body = el('tbody');
    reports.forEach(function (r) {
      var vs = r.baseline ? r.baseline.version + ': ' + pct(r.baseline.pass_rate) + ' → ' + pct(r.pass_rate) : '-';
      body.appendChild(el('tr', null, [
        el('td', null, [el('span', { class: 'badge ' + (r.ok ? 'pass' : 'fail'), text: r.ok ? 'ok' : 'failed' })]),
        el('td', { text: versionKey(r) + (r.shard ? ' (shard ' + r.shard.index + '/' + r.shard.count + ')' : '') + (r.merged ? ' (merged from ' + r.merged.shards + ' shards)' : '') }),
        el('td', { text: providerKey(r) }),
        el('td', { class: 'num', text: r.passed + '/' + r.cases }),
        el('td', { class: 'num', text: pct(r.pass_rate) }),
        el('td', { text: vs }),
        el('td', { class: 'num', text: String(r.regressions.length) }),
        el('td', { class: 'num', text: usd(r.cost_usd) }),
        el('td', { class: 'num', text: ms(r.latency ? r.latency.p50_ms : null) + ' / ' + ms(r.latency ? r.latency.p95_ms : null) }),
        el('td', { class: 'num', text: (r.repeat || 1) > 1 ? r.repeat + ' × (≥ ' + pct(r.case_pass_rate) + ')' : '1' }),
      ]));
    });
    return el('section', { class: 'panel' }, [el('h2', { text: 'Reports' }), el('table', { class: 'grid-table', id: 'reports' }, [el('thead', null, [head]), body])]);
  }

  // ------------------------------------------------------------------ case table
  var state = { filter: 'all', query: '', version: '', page: 0, selected: null };
  var filtered = rows;
  var tbody = el('tbody', { id: 'case-rows' });
  var info = el('span', { class: 'meta', id: 'page-info', 'aria-live': 'polite' });
  var prev = el('button', { type: 'button', id: 'prev-page', text: '‹ previous' });
  var next = el('button', { type: 'button', id: 'next-page', text: 'next ›' });
  var detail = el('section', { class: 'panel detail', id: 'detail', hidden: true });
  var single = columns.length === 1;

  function applyFilters() {
    var q = state.query.toLowerCase();
    filtered = rows.filter(function (row) {
      if (state.version && row.version !== state.version) return false;
      if (state.filter === 'failed' && !row.failed) return false;
      if (state.filter === 'regressed' && !row.regressed) return false;
      if (state.filter === 'changed' && !row.changed) return false;
      if (q && searchText(row).indexOf(q) === -1) return false;
      return true;
    });
    state.page = 0;
    renderPage();
  }

  function statusCell(cell) {
    if (!cell) return el('td', { class: 'muted', text: '—' });
    var r = cell.result;
    var kids = [el('span', { class: 'badge ' + statusOf(r), text: statusOf(r) })];
    if (r.change && r.change !== 'unchanged') kids.push(el('span', { class: 'change ' + r.change, text: r.change }));
    if (r.runs !== undefined) kids.push(el('span', { class: 'runs', text: r.runs_passed + '/' + r.runs }));
    if (!single) kids.push(el('span', { class: 'muted small', text: ' ' + ms(r.latency_ms) }));
    return el('td', null, kids);
  }

  function renderPage() {
    var frag = document.createDocumentFragment();
    var start = state.page * PAGE;
    var end = Math.min(filtered.length, start + PAGE);
    for (var i = start; i < end; i++) {
      var row = filtered[i];
      var tr = el('tr', { tabindex: '0', class: 'case-row' + (row === state.selected ? ' selected' : '') });
      tr.dataset.i = String(i);
      if (versions.length > 1) tr.appendChild(el('td', { class: 'small', text: row.version }));
      tr.appendChild(el('td', { class: 'case-name', text: row.name }));
      if (single) {
        var c = row.cells[0];
        var r = c.result;
        tr.appendChild(statusCell(c));
        tr.appendChild(el('td', { text: r.baseline ? (r.baseline.error !== null ? 'error' : r.baseline.pass ? 'pass' : 'fail') : '—', class: r.baseline ? '' : 'muted' }));
        tr.appendChild(el('td', { class: 'num', text: ms(r.latency_ms) + (r.cached ? '*' : '') }));
        tr.appendChild(el('td', { class: 'num', text: usd(r.cost_usd) }));
      } else {
        row.cells.forEach(function (cell, j) {
          if (j < columns.length) tr.appendChild(statusCell(cell));
        });
        for (var j = row.cells.length; j < columns.length; j++) tr.appendChild(statusCell(undefined));
      }
      frag.appendChild(tr);
    }
    tbody.textContent = '';
    tbody.appendChild(frag);
    var pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    info.textContent = filtered.length === 0 ? 'no case matches' : 'cases ' + (start + 1) + '–' + end + ' of ' + filtered.length + (filtered.length !== rows.length ? ' (' + rows.length + ' in all)' : '') + ' · page ' + (state.page + 1) + '/' + pages;
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }

  function caseTable() {
    var heads = [];
    if (versions.length > 1) heads.push('prompt');
    heads.push('case');
    if (single) heads.push('status', 'baseline', 'latency', 'cost');
    else columns.forEach(function (c) {
      heads.push(c);
    });
    var thead = el('thead', null, [el('tr', null, heads.map(function (h) {
      return el('th', { text: h });
    }))]);
    var filters = el('div', { class: 'filters', role: 'group', 'aria-label': 'filter cases' });
    [['all', 'all'], ['failed', 'failed'], ['regressed', 'regressed'], ['changed', 'changed']].forEach(function (f) {
      var count = f[0] === 'all' ? rows.length : rows.filter(function (r) {
        return f[0] === 'failed' ? r.failed : f[0] === 'regressed' ? r.regressed : r.changed;
      }).length;
      var b = el('button', { type: 'button', class: 'filter' + (f[0] === 'all' ? ' active' : ''), id: 'filter-' + f[0], 'aria-pressed': f[0] === 'all' ? 'true' : 'false', text: f[1] + ' (' + count + ')' });
      b.addEventListener('click', function () {
        state.filter = f[0];
        var all = filters.querySelectorAll('button');
        for (var i = 0; i < all.length; i++) {
          all[i].classList.toggle('active', all[i] === b);
          all[i].setAttribute('aria-pressed', all[i] === b ? 'true' : 'false');
        }
        applyFilters();
      });
      filters.appendChild(b);
    });
    var search = el('input', { type: 'search', id: 'search', placeholder: 'search case names and outputs', 'aria-label': 'search cases' });
    var timer = null;
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        state.query = search.value;
        applyFilters();
      }, 120);
    });
    var controls = [filters, search];
    if (versions.length > 1) {
      var sel = el('select', { id: 'version', 'aria-label': 'prompt version' }, [el('option', { value: '', text: 'every prompt' })].concat(versions.map(function (v) {
        return el('option', { value: v, text: v });
      })));
      sel.addEventListener('change', function () {
        state.version = sel.value;
        applyFilters();
      });
      controls.push(sel);
    }
    prev.addEventListener('click', function () {
      if (state.page > 0) {
        state.page--;
        renderPage();
      }
    });
    next.addEventListener('click', function () {
      if ((state.page + 1) * PAGE < filtered.length) {
        state.page++;
        renderPage();
      }
    });
    function open(target) {
      var tr = target.closest ? target.closest('tr.case-row') : null;
      if (!tr) return;
      var row = filtered[Number(tr.dataset.i)];
      if (!row) return;
      state.selected = row;
      var old = tbody.querySelector('tr.selected');
      if (old) old.classList.remove('selected');
      tr.classList.add('selected');
      showDetail(row);
    }
    tbody.addEventListener('click', function (e) {
      open(e.target);
    });
    tbody.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open(e.target);
      }
    });
    return el('section', { class: 'panel' }, [
      el('h2', { text: 'Cases' }),
      el('div', { class: 'controls' }, controls),
      el('table', { class: 'grid-table cases', id: 'cases' }, [thead, tbody]),
      el('div', { class: 'pager' }, [prev, info, next]),
    ]);
  }

  // ------------------------------------------------------------------ detail + word diff
  function wordDiff(before, after) {
    var box = el('pre', { class: 'output diff' });
    var parts = null;
    if (window.Diff && typeof window.Diff.diffWordsWithSpace === 'function' && before.length + after.length <= 200000) {
      parts = window.Diff.diffWordsWithSpace(before, after, { maxEditLength: 20000, timeout: 1500 });
    }
    if (!parts) {
      box.appendChild(el('span', { class: 'muted', text: 'the outputs differ too much to show a word diff' }));
      return box;
    }
    parts.forEach(function (p) {
      box.appendChild(el(p.added ? 'ins' : p.removed ? 'del' : 'span', { text: p.value }));
    });
    return box;
  }

  function outputBlock(label, text, cls, error) {
    var body = text !== null ? el('pre', { class: 'output ' + cls, text: text }) : el('pre', { class: 'output muted', text: error ? '(no output: ' + error + ')' : '(no output)' });
    return el('div', { class: 'out-col' }, [el('h4', { text: label }), body]);
  }

  function showDetail(row) {
    detail.textContent = '';
    detail.hidden = false;
    var close = el('button', { type: 'button', class: 'close', id: 'close-detail', text: 'close ×' });
    close.addEventListener('click', function () {
      detail.hidden = true;
    });
    detail.appendChild(el('div', { class: 'detail-head' }, [el('h2', { text: row.name }), close]));
    detail.appendChild(el('p', { class: 'meta', text: row.version }));
    row.cells.forEach(function (cell, j) {
      if (!cell) return;
      var r = cell.result;
      var rep = reports[cell.report];
      var box = el('div', { class: 'provider-detail' });
      box.appendChild(el('h3', null, [columns[j] + ' ', el('span', { class: 'badge ' + statusOf(r), text: statusOf(r) }), r.change ? el('span', { class: 'change ' + r.change, text: r.change }) : null]));
      var facts = ['latency ' + ms(r.latency_ms) + (r.cached ? ' (cached)' : ''), 'tokens ' + (r.tokens ? r.tokens.total : '-'), 'cost ' + usd(r.cost_usd), 'score ' + r.score.toFixed(2)];
      if (r.runs !== undefined) facts.push(r.runs_passed + '/' + r.runs + ' runs passed (' + pct(r.pass_rate) + ', needs ' + pct(rep.case_pass_rate) + ')');
      box.appendChild(el('p', { class: 'meta', text: facts.join(' · ') }));
      if (r.error !== null) box.appendChild(el('p', { class: 'error-text', text: 'error: ' + r.error }));
      if (r.assertions.length) {
        var ul = el('ul', { class: 'assertions' });
        r.assertions.forEach(function (a) {
          ul.appendChild(el('li', { class: a.pass ? 'a-pass' : 'a-fail' }, [el('span', { class: 'badge ' + (a.pass ? 'pass' : 'fail'), text: a.pass ? 'pass' : 'fail' }), ' ' + (a.name || a.type) + ': ' + a.message]));
        });
        box.appendChild(ul);
      }
      var outs = el('div', { class: 'outputs' }, [outputBlock('candidate ' + rep.version, r.output, 'candidate', r.error)]);
      if (r.baseline) outs.appendChild(outputBlock('baseline ' + (rep.baseline ? rep.baseline.version : ''), r.baseline.output, 'baseline', r.baseline.error));
      box.appendChild(outs);
      if (r.baseline && r.baseline.output !== null && r.output !== null) {
        box.appendChild(el('h4', { text: r.baseline.output === r.output ? 'word diff (baseline → candidate): identical' : 'word diff (baseline → candidate)' }));
        box.appendChild(wordDiff(r.baseline.output, r.output));
      }
      if (r.repeats && r.repeats.length) {
        var list = el('ol', { class: 'repeats' });
        r.repeats.forEach(function (run) {
          list.appendChild(el('li', null, [el('span', { class: 'badge ' + statusOf(run), text: statusOf(run) }), ' ' + ms(run.latency_ms) + (run.error ? ' · ' + run.error : '') + (run.output !== null ? ' · ' + (run.output.length > 160 ? run.output.slice(0, 159) + '…' : run.output) : '')]));
        });
        box.appendChild(el('h4', { text: 'runs' }));
        box.appendChild(list);
      }
      detail.appendChild(box);
    });
    detail.scrollIntoView({ block: 'nearest' });
  }

  app.appendChild(summary());
  app.appendChild(chart());
  app.appendChild(reportsTable());
  app.appendChild(caseTable());
  app.appendChild(detail);
  renderPage();
  // for tests and benchmarks: the page is usable (and how long after navigation it took)
  document.documentElement.setAttribute('data-ready', 'true');
  document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
})();
