import { useReducer } from 'react';
import { Box, Text } from 'ink';
import { useTheme } from '../../theme.js';
import { helpColumns, helpGroups, helpMaxOffset } from './help-lines.js';
import { helpReducer } from './help-state.js';
import { useHelpKeys } from './use-help-keys.js';

/** Every key from the one key table, in two columns (three on wide terminals); ↑↓ scroll when it does not fit. */
export function Help({ width, height, onClose }: { width: number; height: number; onClose: () => void }) {
  const theme = useTheme();
  const [offset, dispatch] = useReducer(helpReducer, 0);
  const columns = width >= 120 ? 3 : 2;
  const columnWidth = Math.floor(width / columns);
  const groups = helpGroups(columnWidth - 1);
  useHelpKeys({ page: height, max: helpMaxOffset(groups, columns, height), dispatch, close: onClose });
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
