module BatchRec.Placeholder
let x = 1
