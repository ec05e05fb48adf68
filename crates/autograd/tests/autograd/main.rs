//! Tests of the tape, the differentiable ops, the layers and Adam. One binary so that most
//! tests share one device and its compiled pipelines; the tests that count engine activity
//! (dispatches, buffers, pipelines) open a private device so parallel tests cannot disturb
//! their counters.

mod common;

mod gradcheck;
mod learning;
mod optim;
mod tape;
