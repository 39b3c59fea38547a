// Every layer, for models and tests that want them all.
#pragma once
#include "layers/activation.h"
#include "layers/batchnorm.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "layers/flatten.h"
#include "layers/padding.h"
#include "layers/pool.h"
#include "layers/resnet_blocks.h"
#include "layers/sequential.h"
