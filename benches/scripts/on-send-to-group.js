// The script of `volley bench --script`: every group message goes through onSendToGroup,
// which looks at the message as a filter would and lets it through.
'use strict';

exports.ssExports = {
  onSendToGroup(gameMessage) {
    return gameMessage.opCode >= 0 && gameMessage.payload.length <= 4096;
  },
};
