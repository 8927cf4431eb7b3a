//! A classical cardiac short-axis segmenter (Otsu, connected components, morphology) as a native plugin.
