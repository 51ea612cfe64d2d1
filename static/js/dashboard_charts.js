// Dashboard charts: sparklines on the KPI tiles and the KPI breakdown over time. The data comes
// from json_script blocks inside the htmx-swapped fragment, so every swap draws them again.
(() => {
  const PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997"];
  const OTHERS = "#adb5bd";
  const TOTAL = "#212529";

  function readData(id) {
    const source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function replaceChart(canvas, config) {
    const existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
    return new Chart(canvas, config);
  }

  function drawSparklines() {
    const data = readData("board-chart-data");
    if (!data) return;
    for (const tile of data.tiles) {
      const canvas = document.getElementById(tile.id);
      if (!canvas) continue;
      replaceChart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [{ data: tile.values, borderColor: PALETTE[0], borderWidth: 2, pointRadius: 0, pointHitRadius: 6, spanGaps: true, tension: 0.25 }],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { display: false } },
          scales: { x: { display: false }, y: { display: false } },
        },
      });
    }
  }

  function drawBreakdown() {
    const data = readData("insight-chart-data");
    const canvas = document.getElementById("insight-chart");
    if (!data || !canvas) return;
    let team = 0;
    const datasets = data.series.map((series) => {
      let colour = OTHERS;
      if (series.kind === "total") colour = TOTAL;
      else if (series.kind === "team") colour = PALETTE[team++ % PALETTE.length];
      return {
        label: series.label,
        data: series.values,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: series.kind === "total" ? 3 : 2,
        borderDash: series.kind === "others" ? [6, 4] : [],
        spanGaps: true,
      };
    });
    replaceChart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets },
      options: { maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } },
    });
  }

  function drawAll() {
    if (typeof Chart === "undefined") return;
    drawSparklines();
    drawBreakdown();
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
