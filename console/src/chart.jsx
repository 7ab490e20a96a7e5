// Charts are drawn by Chart.js (npm), registered piecemeal so that only the
// bar and doughnut charts the console uses are in the bundle.
import { useEffect, useRef } from 'preact/hooks';
import {
  Chart, BarController, BarElement, CategoryScale, LinearScale,
  DoughnutController, ArcElement, Tooltip, Legend,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Tooltip, Legend);

const PALETTE = ['#2f6f8f', '#e07a2f', '#4c9a5b', '#b8475b', '#7a5fb0', '#c2a23a', '#4a4a4a', '#8fb8cf'];

// ChartView draws `type` ("bar" or "doughnut") with labels and one or more
// datasets [{label, data}]; format renders values in tooltips and ticks.
export function ChartView({ type = 'bar', labels, datasets, format = String, label, height = 240 }) {
  const canvas = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    const ds = datasets.map((d, i) => ({
      ...d,
      backgroundColor: type === 'doughnut' ? labels.map((_, j) => PALETTE[j % PALETTE.length]) : PALETTE[i % PALETTE.length],
      borderWidth: type === 'doughnut' ? 1 : 0,
    }));
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: type === 'doughnut' || datasets.length > 1, position: 'bottom' },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label || c.label}: ${format(c.parsed.y ?? c.parsed)}` } },
      },
      scales: type === 'bar' ? { y: { beginAtZero: true, ticks: { callback: (v) => format(v) } } } : undefined,
    };
    if (chart.current) {
      chart.current.data = { labels, datasets: ds };
      chart.current.options = options;
      chart.current.update();
    } else {
      chart.current = new Chart(canvas.current, { type, data: { labels, datasets: ds }, options });
    }
  }, [type, JSON.stringify(labels), JSON.stringify(datasets)]);
  useEffect(() => () => { chart.current?.destroy(); chart.current = null; }, []);
  return <div class="chart" style={{ height: `${height}px` }}><canvas ref={canvas} role="img" aria-label={label} /></div>;
}
