import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import sharp from 'sharp';
import { parseManifest, type ModelManifest, type ModelSpec } from '../../../shared/model-manifest.js';

/** Class k is the RGB-cube corner whose bits are (r, g, b) = (k>>2 & 1, k>>1 & 1, k & 1). */
export const COLOURS: readonly { name: string; rgb: [number, number, number] }[] = [
  { name: 'black', rgb: [0, 0, 0] },
  { name: 'blue', rgb: [0, 0, 255] },
  { name: 'green', rgb: [0, 255, 0] },
  { name: 'cyan', rgb: [0, 255, 255] },
  { name: 'red', rgb: [255, 0, 0] },
  { name: 'magenta', rgb: [255, 0, 255] },
  { name: 'yellow', rgb: [255, 255, 0] },
  { name: 'white', rgb: [255, 255, 255] },
];

// The subset of onnx.proto3 needed to write a model (field numbers as upstream, so onnxruntime reads it).
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; }
  string name = 1; AttributeType type = 20; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5;
  repeated float floats = 7; repeated int64 ints = 8;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
  string domain = 7; repeated AttributeProto attribute = 5; string doc_string = 6;
}
message ModelProto {
  int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; string producer_name = 2;
  string producer_version = 3; string domain = 4; int64 model_version = 5; string doc_string = 6; GraphProto graph = 7;
}
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  enum DataType { UNDEFINED = 0; FLOAT = 1; }
  repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4; string name = 8; bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } string denotation = 3; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
  string denotation = 6;
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

const FLOAT = 1;
/** Logit scale: large enough that a solid colour wins by a wide margin, small enough to stay far from overflow. */
const S = 10;

function floatTensor(dims: (number | string)[]) {
  return {
    tensor_type: {
      elem_type: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  };
}

/**
 * input [N,3,224,224] → GlobalAveragePool → Flatten → MatMul W[3,8] → Add b[8] → output [N,8] logits.
 * logit_k = s·(2·c_k·x − |c_k|²) = s·(|x|² − ‖x − c_k‖²), so the largest logit is the nearest cube corner to the
 * mean colour x ∈ [0,1]³.
 */
export function buildColourModel(): Uint8Array {
  const corners = COLOURS.map((c) => c.rgb.map((v) => (v > 0 ? 1 : 0)));
  const w: number[] = [];
  for (let ch = 0; ch < 3; ch++) for (const c of corners) w.push(2 * c[ch]! * S);
  const b = corners.map((c) => -(c[0]! + c[1]! + c[2]!) * S);
  const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  const ModelProto = root.lookupType('onnx.ModelProto');
  const model = ModelProto.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    producer_name: 'inferq-tests',
    graph: {
      name: 'tiny-colour',
      node: [
        { op_type: 'GlobalAveragePool', input: ['input'], output: ['pooled'], name: 'pool' },
        {
          op_type: 'Flatten',
          input: ['pooled'],
          output: ['flat'],
          name: 'flatten',
          attribute: [{ name: 'axis', type: 2, i: 1 }],
        },
        { op_type: 'MatMul', input: ['flat', 'W'], output: ['scores'], name: 'matmul' },
        { op_type: 'Add', input: ['scores', 'b'], output: ['output'], name: 'add' },
      ],
      initializer: [
        { name: 'W', dims: [3, 8], data_type: FLOAT, float_data: w },
        { name: 'b', dims: [8], data_type: FLOAT, float_data: b },
      ],
      input: [{ name: 'input', type: floatTensor(['N', 3, 224, 224]) }],
      output: [{ name: 'output', type: floatTensor(['N', 8]) }],
    },
  });
  return ModelProto.encode(model).finish();
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes tiny-colour.onnx, its labels and a manifest.json holding the tiny model plus every entry of the real
 * models/manifest.json, so one fixture directory serves both kinds of test (real models still need a mirror).
 */
export async function writeTinyModelFixture(
  dir: string,
): Promise<{ manifestPath: string; modelsDir: string; spec: ModelSpec }> {
  await mkdir(dir, { recursive: true });
  const model = buildColourModel();
  const labels = COLOURS.map((c) => c.name).join('\n') + '\n';
  await writeFile(join(dir, 'tiny-colour.onnx'), model);
  await writeFile(join(dir, 'tiny-colour-labels.txt'), labels);
  const spec: ModelSpec = {
    name: 'tiny-colour',
    version: '1',
    task: 'classification',
    description: 'test model built by code: dominant colour → nearest RGB-cube corner',
    model: { file: 'tiny-colour.onnx', sha256: sha256(model) },
    labels: { file: 'tiny-colour-labels.txt', sha256: sha256(labels) },
    input_name: 'input',
    output_name: 'output',
    output: 'logits',
    num_classes: COLOURS.length,
    preprocessing: {
      resize: 256,
      crop: 224,
      channel_order: 'RGB',
      layout: 'NCHW',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
  };
  const realPath = new URL('../../../models/manifest.json', import.meta.url);
  const real = JSON.parse(await readFile(realPath, 'utf8')) as ModelManifest;
  const manifest = parseManifest({ models: [spec, ...real.models] }, 'tiny-model fixture');
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { manifestPath, modelsDir: dir, spec };
}

/**
 * A photo-like image of one colour: a gentle gradient and deterministic noise (±6 levels) keep the encoder from
 * producing a trivially tiny file while the mean colour stays next to `rgb`.
 */
export async function solidImage(
  rgb: [number, number, number],
  opts: { width?: number; height?: number; format?: 'jpeg' | 'png' | 'webp' } = {},
): Promise<Buffer> {
  const { width = 320, height = 240, format = 'jpeg' } = opts;
  const data = Buffer.alloc(width * height * 3);
  let seed = 0x2545f491 ^ (rgb[0] << 16) ^ (rgb[1] << 8) ^ rgb[2];
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gradient = Math.round((6 * (x + y)) / (width + height)) - 3;
      for (let c = 0; c < 3; c++, i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        data[i] = Math.max(0, Math.min(255, rgb[c]! + gradient + ((seed >>> 24) % 7) - 3));
      }
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}
