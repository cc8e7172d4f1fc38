#!/usr/bin/env escript
%%! -noshell
%% Gzips every file of a directory the way hex_core 0.18.0 gzips contents.tar
%% (src/hex_tarball.erl, gzip/1): OTP's zlib (the system zlib) at
%% deflateInit(Z, default, deflated, -15, 8, default), one deflate(Z, Data,
%% finish) call, a fixed 10-byte header and the CRC-32/ISIZE trailer.
%% Writes OUT_DIR/NAME.gz for each IN_DIR/NAME, in one run for the whole set.
%%
%% usage: zlib_gzip.escript IN_DIR OUT_DIR
main([In, Out]) ->
    {ok, Names} = file:list_dir(In),
    lists:foreach(
      fun(Name) ->
              {ok, Data} = file:read_file(filename:join(In, Name)),
              ok = file:write_file(filename:join(Out, Name ++ ".gz"), hex_core_gzip(Data))
      end,
      lists:sort(Names)),
    io:format("~b~n", [length(Names)]).

hex_core_gzip(Data) ->
    Z = zlib:open(),
    try
        ok = zlib:deflateInit(Z, default, deflated, -15, 8, default),
        Body = zlib:deflate(Z, Data, finish),
        ok = zlib:deflateEnd(Z),
        Header = <<31, 139, 8, 0, 0, 0, 0, 0, 0, 0>>,
        Trailer = <<(erlang:crc32(Data)):32/little, (byte_size(Data)):32/little>>,
        iolist_to_binary([Header, Body, Trailer])
    after
        zlib:close(Z)
    end.
