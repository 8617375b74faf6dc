// 统计: the bar chart drawn from the figures the server put in data-chart (the table's own).
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("stats-chart");
  if (!el || !window.echarts) return;
  const data = JSON.parse(el.dataset.chart);
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  const many = data.categories.length > 4;
  chart.setOption({
    aria: { enabled: true },
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 48, containLabel: true },
    xAxis: {
      type: "category",
      data: data.categories,
      axisLabel: { interval: 0, rotate: many ? 30 : 0 },
    },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map((s) => ({ id: s.key, name: s.name, type: "bar", data: s.data })),
  });
  window.addEventListener("resize", () => chart.resize());
});
