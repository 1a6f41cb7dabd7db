// Runs a TF.js graph model with TensorFlow.js's pure-JavaScript CPU backend, the reference the converted ONNX
// models are compared with (tests/vision/tfjs_conversion_test.py).
//   node tfjs_reference.js MODEL.json INPUT.f32 D0,D1,... OUT_DIR [NAME=NODE,...] [--int32]
// INPUT.f32: the input tensor, float32 little-endian, of the given shape (--int32: given to the model as int32,
// as MoveNet takes it). Writes OUT_DIR/<output>.f32 for each output of the model's signature, or for each NODE
// of the graph named (as NAME), and OUT_DIR/outputs.json ({name: shape}).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');

async function main() {
  const args = process.argv.slice(2);
  const asInt = args.includes('--int32');
  const [modelPath, inputPath, shapeText, outDir, nodesText] = args.filter((a) => a !== '--int32');
  if (!outDir) throw new Error('usage: tfjs_reference.js MODEL.json INPUT.f32 D0,D1,... OUT_DIR');
  await tf.setBackend('cpu');
  const model = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const folder = path.dirname(modelPath);
  const shards = model.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(folder, p))));
  const weights = Buffer.concat(shards);
  const graph = await converter.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy: model.convertedBy,
    signature: model.signature,
  }));
  const raw = fs.readFileSync(inputPath);
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const input = tf.tensor(values, shapeText.split(',').map(Number), asInt ? 'int32' : 'float32');
  const pairs = nodesText ? nodesText.split(',').map((p) => p.split('='))
                          : Object.keys(model.signature.outputs).map((n) => [n.replace(/:0$/, ''), n]);
  const result = graph.execute(input, pairs.map(([, node]) => node.replace(/:0$/, '')));
  const outputs = Array.isArray(result) ? result : [result];  // one output comes back bare
  const index = {};
  for (let i = 0; i < pairs.length; i++) {
    const name = pairs[i][0];
    const data = await outputs[i].data();
    fs.writeFileSync(path.join(outDir, name + '.f32'), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    index[name] = outputs[i].shape;
  }
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(index));
}

main().catch((e) => {
  console.error(`tfjs_reference: ${e.message}`);
  process.exit(1);
});
