// The script of `volley bench --runaway-sessions`: in game sessions named `runaway-*` it
// loops in a timer until each callback's time cap stops it, as often as its CPU budget
// allows; in the others it looks at every group message as on-send-to-group.js does.
'use strict';

exports.ssExports = {
  init(session) {
    if (session.getGameSessionId().startsWith('runaway-')) {
      setInterval(() => {
        for (;;) {
          // Runs until the server interrupts it.
        }
      }, 1);
    }
  },
  onSendToGroup(gameMessage) {
    return gameMessage.opCode >= 0 && gameMessage.payload.length <= 4096;
  },
};
