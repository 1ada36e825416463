"""The latent space to explore: a 2-D model's code plane as a web page that decodes under the pointer.

* ``export(model, test, points)``: what the page needs, as plain lists — the decoder's layers
  (W ∈ R^(out×in), b, the activation after each), the output function, and the first ``points``
  test digits' codes (a VAE's: μ) with their labels;
* ``page(data)``: one self-contained HTML file (no network, works from file://) that draws the codes
  coloured by digit and, under the pointer or a finger, the image the decoder makes from that point.

The page decodes with the exported weights and ``DECODE_JS`` below: for each layer h ← f(W h + b), the
same ``Linear`` and activations as nanoae/layers (one column vector, as the lecture writes it), then the
VAE's mean image σ(s).  Every number is written as float64 (Python's repr: it reads back exactly), so
the page's decoder agrees with ``model.decode`` to about 1e-12.
"""
from __future__ import annotations

import json
import re

import numpy as np

from nanoae import backend
from nanoae.data import ImageDataset
from nanoae.evaluation.encoding import in_batches, posterior_means
from nanoae.layers import LeakyReLU, Linear, Sequential, dense_steps
from nanoae.models import ACTIVATIONS, VAE, Autoencoder, BernoulliLikelihood

FORMAT = "nanoae latent explorer 1"
PROBE_POINTS = ((0.0, 0.0), (1.0, -1.0), (-2.5, 0.5), (3.0, 3.0), (-0.75, -4.0))   # what ?probe=1 decodes


def export(model: Autoencoder | VAE, test: ImageDataset, points: int = 1000) -> dict:
    """The decoder's weights and the first ``points`` test images' 2-D codes, as JSON-ready lists."""
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 1:
        raise ValueError(f"points must be a positive integer, got {points!r}")
    if len(test) == 0:
        raise ValueError(f"{test.name}: no test images to place on the plane")
    placed = test.subset(np.arange(min(int(points), len(test))))      # a VAE's codes are μ: no sampling noise
    codes = posterior_means(model, placed) if isinstance(model, VAE) else in_batches(model.encode, placed)
    if codes.shape[1] != 2:
        raise ValueError(f"the latent explorer draws a 2-D code plane, but this model's code has {codes.shape[1]} "
                         "dimensions; train one with a code of 2 (e.g. --sizes 784,128,64,2)")
    if not isinstance(model.decoder, Sequential):
        raise ValueError(f"the latent explorer knows dense decoders only, got {model.decoder!r}")
    steps = [_step(layer, activation) for layer, activation in dense_steps(model.decoder, "the latent explorer")]
    if len(steps[-1]["b"]) != int(np.prod(test.image_shape)):
        raise ValueError(f"the decoder makes {len(steps[-1]['b'])} values, not a {test.image_shape} image")
    mean_is_sigmoid = isinstance(model, VAE) and isinstance(model.likelihood, BernoulliLikelihood)
    return {"format": FORMAT, "model": "VAE" if isinstance(model, VAE) else "autoencoder",
            "sizes": model.config.get("sizes"), "dataset": test.name, "image_shape": list(test.image_shape),
            "decoder": steps, "output": "sigmoid" if mean_is_sigmoid else "identity",
            "codes": codes.astype(np.float64).tolist(), "labels": [int(y) for y in placed.labels]}


def _step(layer, activation) -> dict:
    """One decoder layer h ← f(W h + b) as lists; a tied layer's W is its encoder layer's Wᵀ."""
    W = layer.params["W"] if isinstance(layer, Linear) else layer.source.params["W"].T     # (out, in)
    name = next((n for n, kind in ACTIVATIONS.items() if type(activation) is kind), "identity")
    step = {"W": backend.to_numpy(W).astype(np.float64).tolist(),
            "b": backend.to_numpy(layer.params["b"]).astype(np.float64).tolist(), "activation": name}
    if isinstance(activation, LeakyReLU):
        step["slope"] = activation.slope
    return step


def page(data: dict) -> str:
    """The self-contained HTML page for ``export``'s data (inlined: file:// cannot fetch a JSON file)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"page() takes what export() returns ({FORMAT!r}), got format {data.get('format')!r}")
    inlined = json.dumps(data, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")
    code = "μ" if data["model"] == "VAE" else "z"
    title = f"{data['model']} {'→'.join(map(str, data['sizes'] or []))} on {data['dataset']}"
    values = {"TITLE": _escape(title), "CODE": code, "COUNT": str(len(data["codes"])), "DATA": inlined,
              "DECODE_SOURCE": _escape(DECODE_JS), "DECODE_JS": DECODE_JS, "PROBE": json.dumps(PROBE_POINTS)}
    return re.sub(r"\$(DECODE_SOURCE|DECODE_JS|TITLE|COUNT|CODE|PROBE|DATA)", lambda m: values[m[1]], PAGE)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The decoder, in the page: Linear (nanoae/layers/linear.py) is y = W x + b with W ∈ R^(out×in), and the
# activations are those of nanoae/layers/activations.py, σ written as nanoae.functional.sigmoid writes it.
DECODE_JS = """\
const ACTIVATIONS = {
  identity: v => v,
  relu: v => Math.max(v, 0),
  leaky_relu: (v, slope) => (v > 0 ? v : slope * v),
  sigmoid: v => Math.exp(Math.min(v, 0)) / (1 + Math.exp(-Math.abs(v))),
  tanh: v => Math.tanh(v),
};
function decode(z) {                       // z: the 2 numbers of a code → the image, D numbers
  let h = z;
  for (const layer of DATA.decoder) {      // h ← f(W h + b),  W ∈ R^(out×in)
    const f = ACTIVATIONS[layer.activation];
    h = layer.W.map((row, i) =>            // unit i: row i of W times h, plus b_i
      f(row.reduce((sum, w, j) => sum + w * h[j], 0) + layer.b[i], layer.slope));
  }
  return h.map(ACTIVATIONS[DATA.output]);  // a VAE's mean image σ(s); an autoencoder's x̂ as it is
}"""

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The latent space to explore — $TITLE</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 60em; }
  .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
  #plane { width: min(480px, 92vw); border: 1px solid #aaa; touch-action: none; cursor: crosshair; }
  #image { width: 224px; height: 224px; image-rendering: pixelated; border: 1px solid #aaa; background: #000; }
  #legend span { display: inline-block; margin-right: 0.8em; }
  #legend i { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.25em; border-radius: 50%; }
  #errors { color: #b00; } #errors:empty, #probe:empty { display: none; }
  pre { background: #f4f4f4; padding: 0.6em; overflow-x: auto; }
</style>
</head>
<body>
<h1>The latent space to explore</h1>
<p>$TITLE. Each dot is the code $CODE of one of the first $COUNT test digits, coloured by its label.
Move the pointer (or a finger) over the plane: on the right is the image the decoder makes from
that point, computed here in the page with the trained weights.</p>
<pre id="errors"></pre>
<script>
  window.onerror = function (message, source, line) {
    document.getElementById("errors").textContent += message + " (line " + line + ")\\n";
  };
</script>
<div class="row">
  <div><canvas id="plane" width="480" height="480"></canvas><div id="legend"></div></div>
  <div><canvas id="image" width="28" height="28"></canvas><p id="where"></p></div>
</div>
<details open>
<summary>How this page decodes a point</summary>
<p>The decoder below is the same <code>W x + b</code> followed by ReLU, σ, tanh or nothing as
nanoae's layers (<code>nanoae/layers/linear.py</code>, <code>activations.py</code>), one layer after
another, with the weights exported by <code>python -m nanoae export-web</code>:</p>
<pre id="source">$DECODE_SOURCE</pre>
</details>
<pre id="probe"></pre>
<script id="nanoae-data" type="application/json">$DATA</script>
<script>
"use strict";
const DATA = JSON.parse(document.getElementById("nanoae-data").textContent);
$DECODE_JS
window.nanoaeDecode = (z0, z1) => decode([z0, z1]);

const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const plane = document.getElementById("plane"), image = document.getElementById("image");
const [H, W] = DATA.image_shape;
image.width = W; image.height = H;
const xs = DATA.codes.map(c => c[0]), ys = DATA.codes.map(c => c[1]);
function range(values) {
  const low = values.length ? Math.min(...values) : -3, high = values.length ? Math.max(...values) : 3;
  const pad = 0.08 * (high - low || 1);
  return [low - pad, high + pad];
}
const [x0, x1] = range(xs), [y0, y1] = range(ys);
const toPixel = (a, b) => [(a - x0) / (x1 - x0) * plane.width, (y1 - b) / (y1 - y0) * plane.height];
const toCode = (px, py) => [x0 + px / plane.width * (x1 - x0), y1 - py / plane.height * (y1 - y0)];

const dots = document.createElement("canvas");      // the scatter, drawn once
dots.width = plane.width; dots.height = plane.height;
const d = dots.getContext("2d");
d.fillStyle = "#fff"; d.fillRect(0, 0, dots.width, dots.height);
d.strokeStyle = "#ddd"; d.beginPath();
const [ox, oy] = toPixel(0, 0);
d.moveTo(ox, 0); d.lineTo(ox, dots.height); d.moveTo(0, oy); d.lineTo(dots.width, oy); d.stroke();
DATA.codes.forEach(([a, b], k) => {
  const [px, py] = toPixel(a, b);
  d.fillStyle = COLOURS[DATA.labels[k] % 10]; d.globalAlpha = 0.75;
  d.beginPath(); d.arc(px, py, 2.5, 0, 2 * Math.PI); d.fill();
});
d.globalAlpha = 1; d.fillStyle = "#555"; d.font = "11px sans-serif";
d.fillText(`$CODE₁ from ${x0.toFixed(2)} to ${x1.toFixed(2)}, $CODE₂ from ${y0.toFixed(2)} to ${y1.toFixed(2)}`,
           6, dots.height - 6);
document.getElementById("legend").innerHTML = [...new Set(DATA.labels)].sort((a, b) => a - b)
  .map(y => `<span><i style="background:${COLOURS[y % 10]}"></i>${y}</span>`).join("");

function show(a, b) {
  const pixels = decode([a, b]), picture = image.getContext("2d").createImageData(W, H);
  pixels.forEach((v, i) => {
    const grey = Math.round(255 * Math.min(Math.max(v, 0), 1));
    picture.data.set([grey, grey, grey, 255], 4 * i);
  });
  image.getContext("2d").putImageData(picture, 0, 0);
  const p = plane.getContext("2d"), [px, py] = toPixel(a, b);
  p.drawImage(dots, 0, 0);
  p.strokeStyle = "#000"; p.beginPath(); p.arc(px, py, 6, 0, 2 * Math.PI); p.stroke();
  document.getElementById("where").textContent = `$CODE = (${a.toFixed(3)}, ${b.toFixed(3)})`;
}
function follow(clientX, clientY) {
  const box = plane.getBoundingClientRect();
  show(...toCode((clientX - box.left) * plane.width / box.width, (clientY - box.top) * plane.height / box.height));
}
plane.addEventListener("pointermove", e => follow(e.clientX, e.clientY));
plane.addEventListener("pointerdown", e => follow(e.clientX, e.clientY));
for (const kind of ["touchstart", "touchmove"]) {
  plane.addEventListener(kind, e => { e.preventDefault(); follow(e.touches[0].clientX, e.touches[0].clientY); },
                         { passive: false });
}
show((x0 + x1) / 2, (y0 + y1) / 2);

if (new URLSearchParams(location.search).get("probe") === "1") {
  const probe = $PROBE.map(([a, b]) => ({ z: [a, b], x: Array.from(window.nanoaeDecode(a, b)) }));
  document.getElementById("probe").textContent = JSON.stringify(probe);
}
</script>
</body>
</html>
"""
