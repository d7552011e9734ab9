#!/usr/bin/env node
// The `sb` command: runs the built CLI (`npm start`, `npm test` and `npm run build` build it).
require('../dist/main.js');
