"""Training stage: dataset preparation, torch network, xgboost BDT, metrics and ONNX export.

Choices (paper arXiv smuon-NN section III; numbers missing from the text are ours, all in config):

- mass regions: ``training.regions`` name -> [m_min, m_max) on ``m_parent`` (default low [0, 250),
  high [250, 1e5) GeV); every background enters both regions.
- weights: ``expected_events = weight_pb * 1000 * lumi_fb`` (equivalent to the paper's rescaling),
  multiplied in each split by ``n_sample / n_sample_in_split`` (the train split: the events kept by the
  balancing) so that each sample's weights in every split estimate its full-sample yield.
- split: 8:1:1 per sample (stratified), permutation seeded by (seed, sample name), so a sample's
  split is the same in every region.
- balancing: the larger class of the training split is downsampled without replacement to the size
  of the smaller one, its quota shared equally among its samples (capped at a sample's size).
- standardisation: mean/std of the balanced training split only; folded into the NN ONNX graph.
- NN: 37-50-50-1, sigmoid activations, N(0, 0.1^2) initialisation of weights and biases, SGD with
  momentum 0.9, weight decay 1e-5, batch 32, BCE; best epoch = max over epochs of the mean of
  F1, ROC AUC, precision, AUPRC on the validation split (F1/precision at threshold 0.5).
- BDT: xgboost ``binary:logistic`` on raw inputs, early stopping on the validation log-loss.
- ONNX: raw features in (float32, ``feature_names`` order), score out; the BDT is converted from its
  JSON dump to ``ai.onnx.ml.TreeEnsembleRegressor`` + Sigmoid (no onnxmltools needed).
"""
