import { create, toBinary } from '@bufbuild/protobuf'
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf'

const info = (name: string, dims: (string | number)[]) =>
  create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }),
            ),
          }),
        }),
      },
    }),
  })

/**
 * A tiny model for contract tests: `out = ReduceSum(x, axis 2) * mask`, with the given names and
 * row width (the learned scorer wants x, mask, score and its own INPUT_WIDTH).
 */
export function tinyModel(width: number, names = { x: 'x', mask: 'mask', out: 'score' }): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: 'tiny',
    node: [
      create(NodeProtoSchema, { opType: 'ReduceSum', input: [names.x, 'axes'], output: ['sum'], attribute: [create(AttributeProtoSchema, { name: 'keepdims', type: AttributeProto_AttributeType.INT, i: 0n })] }),
      create(NodeProtoSchema, { opType: 'Mul', input: ['sum', names.mask], output: [names.out] }),
    ],
    initializer: [create(TensorProtoSchema, { name: 'axes', dims: [1n], dataType: TensorProto_DataType.INT64, int64Data: [2n] })],
    input: [info(names.x, ['n', 'm', width]), info(names.mask, ['n', 'm'])],
    output: [info(names.out, ['n', 'm'])],
  })
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, { irVersion: 8n, opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 13n })], graph }),
  )
}
