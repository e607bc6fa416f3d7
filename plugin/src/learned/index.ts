// The public API of colyseus-attention/learned: every export by name. Importing this subpath loads
// onnxruntime-web (in a worker thread); the main entry never does.
export { createOnnxScorer } from './onnx-scorer'
export { defaultModelPath } from './default-model'
export { INPUT_COLUMNS, INPUT_WIDTH, GEOMETRY_CLAMP } from './model-inputs'
export { INPUT_X, INPUT_MASK, OUTPUT_SCORE } from './model-contract'
export type { OnnxScorer, OnnxScorerOptions, LearnedScorerEvent, LearnedScorerStats } from './onnx-scorer'
