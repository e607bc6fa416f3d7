// Owns: what a learned model must look like to the engine (input and output names and shapes).

/** Name of the model's row input: float32 [observers, candidates, INPUT_WIDTH], padded. */
export const INPUT_X = 'x'
/** Name of the padding mask input: float32 [observers, candidates], 1 for a real row, 0 for padding. */
export const INPUT_MASK = 'mask'
/** Name of the output: float32 [observers, candidates], one score (logit) per row. */
export const OUTPUT_SCORE = 'score'
