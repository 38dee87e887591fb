#!/usr/bin/env node
import '../dist/vipctl.mjs';
