import { useState } from 'react';
import { Box, Text } from 'ink';
import { useKeys } from '../../key-router.js';
import { useTheme } from '../../theme.js';
import { helpColumns, helpGroups, helpMaxOffset } from './help-lines.js';

const HELP_MODE = () => ({ scopes: ['help', 'list'] as const });

/** Every key from the one key table, in two columns (three on wide terminals); ↑↓ scroll when it does not fit. */
export function Help({ width, height, onClose }: { width: number; height: number; onClose: () => void }) {
  const theme = useTheme();
  const [offset, setOffset] = useState(0);
  const columns = width >= 120 ? 3 : 2;
  const columnWidth = Math.floor(width / columns);
  const groups = helpGroups(columnWidth - 1);
  const maxOffset = helpMaxOffset(groups, columns, height);
  useKeys(HELP_MODE, (command) => {
    if (command === 'back') onClose();
    else if (command === 'up' || command === 'pageUp') setOffset((o) => Math.max(0, o - (command === 'up' ? 1 : height)));
    else if (command === 'down' || command === 'pageDown') setOffset((o) => Math.min(maxOffset, o + (command === 'down' ? 1 : height)));
    // Help has the keyboard: everything else is swallowed, except quit.
    return command !== 'quit';
  });
  return (
    <Box width={width} height={height} overflow="hidden" flexShrink={0}>
      {helpColumns(groups, columns, height, offset).map((column, i) => (
        <Box key={i} flexDirection="column" width={columnWidth}>
          {column.map((line, j) => (
            <Text key={j} bold={line.title} color={line.title ? theme.accent : undefined} wrap="truncate">
              {line.text}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}
